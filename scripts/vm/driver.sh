#!/bin/sh
# The in-VM test driver of issue 9: runs at every boot of the VM (pushgw-vm-driver.service of the
# image built by build-image.sh, from the read-only run disk that boot.sh builds), drives
# pushgw-install and the unit it writes under a real systemd, and reports one line per check on
# the second serial port (/dev/ttyS1, a file on the host):
#
#     STEP <name> ok|fail <detail>
#
# tests/tests/systemd_vm.rs waits for these lines in order. The last line is always
# `STEP done ok|fail ...`, after which the VM powers off. The console (ttyS0) gets the same lines
# plus the installer's output and, on a failure, the service's status and journal.
#
# Two boots: the first installs, checks, kills the gateway, pushes a metric and reboots; the
# second (told apart by a file on the root disk, which the per-run overlay keeps across the
# reboot) checks the service came back with the pushed metric, then uninstalls.
#
# Every wait is bounded. POSIX sh: the image's /bin/sh is dash.
#
# $1: the run disk's mount point, holding this script, pushgw-install and pushgw-sidecar.
set -u

run=${1:?usage: driver.sh RUN_DISK_DIR}
state=/var/lib/pushgw-vm
steps=/dev/ttyS1
prometheus=http://localhost:9090
gateway=http://localhost:9091
private_ip=10.0.2.15
config=/etc/prometheus/prometheus.yml
unit=/usr/lib/systemd/system/pushgateway.service
binary=/usr/local/src/prometheus/pushgateway-server/pushgateway

# Raw mode: no CR inserted before LF, nothing echoed back.
stty -F "$steps" raw -echo 2>/dev/null || true
mkdir -p "$state"

# step NAME ok|fail DETAIL...: one protocol line, on one line whatever the detail holds.
step() {
    name=$1
    result=$2
    shift 2
    line=$(printf 'STEP %s %s %s' "$name" "$result" "$*" | tr '\r\n\t' '   ')
    echo "$line"
    echo "$line" >"$steps"
}

# fail NAME DETAIL...: reports the failed check, dumps what helps to find out why on the console,
# reports the end and powers off, so that the host learns at once.
fail() {
    name=$1
    shift
    step "$name" fail "$@"
    echo "--- diagnostics after the failure of $name ---"
    systemctl --no-pager status pushgateway prometheus 2>&1 | head -n 60
    journalctl --no-pager -n 80 -u pushgateway 2>&1
    [ -f "$unit" ] && cat "$unit"
    step done fail "$name"
    systemctl poweroff --no-block
    exit 1
}

# logged FILE COMMAND...: runs COMMAND with its output both in FILE and on the console as it
# comes (the journal's timestamps show which step of the installer takes how long); returns its
# exit status.
logged() {
    file=$1
    shift
    { "$@" 2>&1; echo $? >"$file.rc"; } | tee "$file"
    return "$(cat "$file.rc")"
}

# wait_for SECONDS COMMAND...: polls COMMAND once a second until it succeeds; fails after SECONDS.
wait_for() {
    deadline=$(($(date +%s) + $1))
    shift
    until "$@"; do
        [ "$(date +%s)" -lt "$deadline" ] || return 1
        sleep 1
    done
}

# The health of the `pushgateway` target and its last scrape (Unix seconds), as "health seconds".
target() {
    curl -fsS --max-time 5 "$prometheus/api/v1/targets?state=active" |
        jq -r '.data.activeTargets[] | select(.labels.job == "pushgateway")
               | "\(.health) \(.lastScrape | sub("\\.[0-9]+"; "") | fromdateiso8601)"' 2>/dev/null
}

# target_up_since SECONDS: the target is up, by a scrape at or after SECONDS (Unix time).
target_up_since() {
    set -- "$1" $(target)
    [ "${2:-}" = up ] && [ "${3:-0}" -ge "$1" ]
}

# journal_clean STEP: fails STEP when the gateway logged an error or warning in this boot, or
# something that smells of a hardening option refusing it (a denied system call or path).
journal_clean() {
    bad=$(journalctl --no-pager -b -o cat -u pushgateway |
        grep -iE 'level=(error|warn)|not permitted|permission denied|read-only file system|bad system call')
    [ -z "$bad" ] || fail "$1" "pushgateway.service logged: $bad"
    step "$1" ok "no error, warning or denial in journalctl -b -u pushgateway"
}

main_pid() {
    systemctl show --property=MainPID --value pushgateway
}

service_active() {
    [ "$(systemctl is-active pushgateway)" = active ]
}

# The pushed metric as /api/v1/metrics reports it (the gateway's JSON API), or nothing.
persisted_value() {
    curl -fsS --max-time 5 "$gateway/api/v1/metrics" |
        jq -r '.data[] | select(.labels.job == "vm_reboot" and .labels.instance == "before")
               | .vm_persisted_metric.metrics[0].value' 2>/dev/null
}

first_boot() {
    step boot ok "first boot: kernel $(uname -r), $(systemctl --version | head -n 1)"

    wait_for 180 curl -fsS --max-time 5 -o /dev/null "$prometheus/-/ready" ||
        fail prometheus-ready "Debian's prometheus.service did not answer $prometheus/-/ready within 180s"
    step prometheus-ready ok "$(prometheus --version 2>&1 | head -n 1)"

    lifecycle=$(curl -fsS "$prometheus/api/v1/status/flags" | jq -r '.data["web.enable-lifecycle"]')
    step prometheus-lifecycle ok "web.enable-lifecycle=$lifecycle (Debian's unit: the installer reloads through systemctl reload unless it is true)"

    sha256sum "$config" | cut -d ' ' -f 1 >"$state/prometheus.yml.sha256"
    cp -p "$config" "$state/prometheus.yml.before"

    echo "--- pushgw-install --private-ip $private_ip ---"
    logged "$state/install.log" timeout 600 "$run/pushgw-install" --private-ip "$private_ip" --lang en
    rc=$?
    [ "$rc" -eq 0 ] || fail install "pushgw-install exited with $rc: $(tail -n 3 "$state/install.log")"
    step install ok "pushgw-install --private-ip $private_ip exited 0"

    service_active || fail is-active "systemctl is-active pushgateway: $(systemctl is-active pushgateway)"
    enabled=$(systemctl is-enabled pushgateway)
    [ "$enabled" = enabled ] || fail is-active "systemctl is-enabled pushgateway: $enabled"
    step is-active ok "active, $enabled"

    # The hardened unit at run time: who it runs as, where its state is, what systemd scores it.
    pid=$(main_pid)
    user=$(ps -o user= -p "$pid")
    state_dir=$(systemctl show --property=StateDirectory --value pushgateway)
    exposure=$(systemd-analyze security --no-pager pushgateway 2>/dev/null | tail -n 1)
    step hardening ok "pid $pid runs as $user (DynamicUser), StateDirectory=$state_dir; $exposure"

    # It listens on all interfaces, so the spring-board proxy reaches it on the private address.
    curl -fsS --max-time 5 -o /dev/null "http://$private_ip:9091/-/ready" ||
        fail listen "http://$private_ip:9091/-/ready does not answer"
    step listen ok "http://$private_ip:9091/-/ready answers"

    # The installer has just seen it up, so any scrape counts.
    wait_for 120 target_up_since 0 ||
        fail target-up "the pushgateway target is not up after 120s: $(target)"
    step target-up ok "pushgateway target up"

    pid=$(main_pid)
    killed_at=$(date +%s)
    kill -9 "$pid" || fail restart "kill -9 $pid failed"
    restarted() {
        new=$(main_pid)
        [ "$new" != 0 ] && [ "$new" != "$pid" ] && service_active
    }
    wait_for 30 restarted || fail restart "no new main pid 30s after kill -9 $pid: $(systemctl is-active pushgateway)"
    restarts=$(systemctl show --property=NRestarts --value pushgateway)
    step restart ok "kill -9 $pid: systemd restarted it as pid $(main_pid) (NRestarts=$restarts)"

    wait_for 120 target_up_since "$((killed_at + 1))" ||
        fail target-back "the pushgateway target is not up again 120s after the kill: $(target)"
    step target-back ok "pushgateway target up again, scraped after the restart"

    echo 'vm_persisted_metric 42' |
        curl -fsS --max-time 5 --data-binary @- "$gateway/metrics/job/vm_reboot/instance/before" ||
        fail push "pushing to $gateway/metrics/job/vm_reboot/instance/before failed"
    [ "$(persisted_value)" = 42 ] || fail push "the pushed metric is not in $gateway/api/v1/metrics"
    step push ok "vm_persisted_metric 42 pushed to job vm_reboot"
    journal_clean journal

    echo second >"$state/phase"
    sync
    step reboot ok "rebooting"
    systemctl reboot --no-block
}

second_boot() {
    step boot2 ok "second boot"

    wait_for 120 service_active ||
        fail came-back "pushgateway.service is not active 120s after the reboot: $(systemctl is-active pushgateway)"
    step came-back ok "pushgateway.service started on its own after the reboot (pid $(main_pid))"

    wait_for 60 curl -fsS --max-time 5 -o /dev/null "$gateway/-/ready" ||
        fail persisted "the gateway does not answer $gateway/-/ready"
    value=$(persisted_value)
    [ "$value" = 42 ] ||
        fail persisted "vm_persisted_metric is ${value:-absent} after the reboot, not 42: $(systemctl show --property=ExecStart --value pushgateway)"
    data=/var/lib/private/pushgateway/pushgateway.data
    [ -s "$data" ] || fail persisted "$data is missing or empty: $(ls -la /var/lib/private/pushgateway/ 2>&1)"
    step persisted ok "vm_persisted_metric 42 still there after the reboot ($data: $(stat -c '%s bytes, owner %U, mode %a' "$data"))"
    journal_clean journal2

    echo "--- pushgw-install uninstall ---"
    logged "$state/uninstall.log" timeout 600 "$run/pushgw-install" uninstall --lang en
    rc=$?
    [ "$rc" -eq 0 ] || fail uninstall "pushgw-install uninstall exited with $rc: $(tail -n 3 "$state/uninstall.log")"
    step uninstall ok "pushgw-install uninstall exited 0"

    [ ! -e "$unit" ] || fail no-unit "$unit is still there"
    load=$(systemctl show --property=LoadState --value pushgateway)
    [ "$load" = not-found ] || fail no-unit "systemd still knows pushgateway.service: LoadState=$load"
    step no-unit ok "$unit removed, LoadState=$load"

    [ ! -e "$binary" ] || fail no-binary "$binary is still there"
    step no-binary ok "$binary removed"

    before=$(cat "$state/prometheus.yml.sha256")
    after=$(sha256sum "$config" | cut -d ' ' -f 1)
    [ "$before" = "$after" ] ||
        fail config-restored "$config changed: sha256 $before before, $after after: $(diff "$state/prometheus.yml.before" "$config" | head -n 20)"
    step config-restored ok "$config byte-identical (sha256 $after)"

    step done ok "all checks passed"
    systemctl poweroff --no-block
}

case $(cat "$state/phase" 2>/dev/null) in
"") first_boot ;;
second) second_boot ;;
*) step done fail "unknown phase in $state/phase: $(cat "$state/phase")" ;;
esac
