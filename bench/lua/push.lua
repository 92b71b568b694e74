-- wrk script for bench/run.sh: pushes realistic text bodies over many grouping keys.
--
--   wrk -t2 -c32 -d10s -s bench/lua/push.lua http://127.0.0.1:19801 -- POST 1000 10
--
-- Arguments: method (POST or PUT), number of groups, samples per body (at least 10). Group i is
-- job/batch<i>/instance/host<i % 100>; its body is the one `pushgw-bench fill` sends (see
-- bench/src/body.rs), except batch_last_success_unixtime = 1.8e+09, the marker `pushgw-bench
-- count` looks for. Requests are built once per thread (Lua would otherwise be the bottleneck
-- against the trivial server); thread t of T takes groups t, t+T, t+2T, ... in turn, and `done`
-- prints how many distinct groups were pushed to ("touched N").

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local function body(job, samples)
  local lines = {
    "# HELP batch_duration_seconds Duration of each step of the last run.",
    "# TYPE batch_duration_seconds gauge",
  }
  local steps = { "extract", "transform", "load" }
  for i, step in ipairs(steps) do
    lines[#lines + 1] = string.format('batch_duration_seconds{step="%s"} %d.%d25', step, job % 997, i - 1)
  end
  lines[#lines + 1] = "# TYPE batch_last_success_unixtime gauge"
  lines[#lines + 1] = "batch_last_success_unixtime 1.8e+09"
  lines[#lines + 1] = "# HELP batch_records_total Records handled."
  lines[#lines + 1] = "# TYPE batch_records_total counter"
  for i, step in ipairs(steps) do
    lines[#lines + 1] = string.format('batch_records_total{step="%s"} %d', step, job * 31 + i - 1)
  end
  lines[#lines + 1] = "# TYPE batch_errors_total counter"
  for _, kind in ipairs({ "io", "parse", "timeout" }) do
    lines[#lines + 1] = string.format('batch_errors_total{kind="%s"} %d', kind, job % 7)
  end
  if samples > 10 then
    lines[#lines + 1] = "# HELP batch_shard_items Items in each shard."
    lines[#lines + 1] = "# TYPE batch_shard_items gauge"
    for shard = 0, samples - 11 do
      lines[#lines + 1] = string.format('batch_shard_items{shard="%d"} %d', shard, job + shard)
    end
  end
  return table.concat(lines, "\n") .. "\n"
end

local requests = {}
counter = 0
mine = 0

function init(args)
  local method = args[1] or "POST"
  local groups = tonumber(args[2] or "1000")
  local samples = tonumber(args[3] or "10")
  -- `init` runs in the thread's own Lua state, which knows neither `threads` nor wrk's -t:
  -- run.sh passes the thread count as the 4th argument.
  local total = tonumber(args[4] or "1")
  for job = id, groups - 1, total do
    requests[#requests + 1] = wrk.format(method, string.format("/metrics/job/batch%d/instance/host%d", job, job % 100), nil, body(job, samples))
  end
  mine = #requests
end

function request()
  counter = counter + 1
  return requests[(counter - 1) % mine + 1]
end

function done(summary, latency, reqs)
  local touched = 0
  for _, thread in ipairs(threads) do
    touched = touched + math.min(thread:get("counter"), thread:get("mine"))
  end
  io.write(string.format("touched %d\n", touched))
end
