// Behaviour of the pushgw web UI: tabs, Delete Group, Delete All (spec §7).
// Plain JavaScript, no libraries. All URLs are relative to the page, so the UI works at <P>/,
// at <P>/status and behind a reverse proxy that strips a path prefix.
'use strict';

(function () {
    function showTab(name) {
        for (const tab of ['metrics', 'status']) {
            document.getElementById(tab + '-div').hidden = tab !== name;
            document.getElementById(tab + '-li').classList.toggle('active', tab === name);
        }
    }

    // The URL the reference's functions.js deletes a group with: the job base64url-encoded
    // without padding, every other label as `<name>@base64/<value>=` (one '=' always, so that
    // empty values work), each component passed through encodeURIComponent.
    function groupPath(key) {
        let job = '';
        const rest = [];
        for (const pair of key.split('/')) {
            const at = pair.indexOf('=');
            const name = pair.slice(0, at);
            const value = pair.slice(at + 1);
            if (name === 'job') {
                job = value;
            } else {
                rest.push(encodeURIComponent(name + '@base64'));
                rest.push(encodeURIComponent(value + '='));
            }
        }
        const tail = rest.length > 0 ? '/' + rest.join('/') : '';
        return 'metrics/job@base64/' + encodeURIComponent(job) + tail;
    }

    function setCounter(n) {
        const counter = document.getElementById('del-all-counter');
        const button = document.getElementById('del-all');
        if (counter === null || button === null) {
            return;
        }
        counter.textContent = String(n);
        button.disabled = n <= 0;
        button.classList.toggle('disabled', n <= 0);
    }

    function deleteGroup(event) {
        // The button sits in the card's <summary>: don't toggle the card.
        event.preventDefault();
        event.stopPropagation();
        const button = event.currentTarget;
        const message = 'Do you really want to delete all metrics of group ' + button.dataset.group + '?';
        if (!window.confirm(message)) {
            return;
        }
        fetch(groupPath(button.dataset.key), { method: 'DELETE' })
            .then(function (response) {
                if (!response.ok) {
                    throw new Error(response.status + ' ' + response.statusText);
                }
                button.closest('details.group').remove();
                const counter = document.getElementById('del-all-counter');
                if (counter !== null) {
                    setCounter(parseInt(counter.textContent, 10) - 1);
                }
            })
            .catch(function (error) {
                window.alert('Deleting metric group failed: ' + error.message);
            });
    }

    function deleteAll(event) {
        event.preventDefault();
        if (event.currentTarget.disabled) {
            return;
        }
        if (!window.confirm('Do you really want to delete all metrics from all metric groups?')) {
            return;
        }
        fetch('api/v1/admin/wipe', { method: 'PUT' })
            .then(function (response) {
                if (!response.ok) {
                    throw new Error(response.status + ' ' + response.statusText);
                }
                for (const group of document.querySelectorAll('details.group')) {
                    group.remove();
                }
                setCounter(0);
            })
            .catch(function (error) {
                window.alert('Deleting all metric groups failed: ' + error.message);
            });
    }

    document.addEventListener('DOMContentLoaded', function () {
        for (const link of document.querySelectorAll('[data-tab]')) {
            link.addEventListener('click', function (event) {
                event.preventDefault();
                showTab(link.dataset.tab);
            });
        }
        for (const button of document.querySelectorAll('button.delete-group')) {
            button.addEventListener('click', deleteGroup);
        }
        const all = document.getElementById('del-all');
        if (all !== null) {
            all.addEventListener('click', deleteAll);
        }
    });
})();
