-- wrk script for scripts/soak.sh: PUT (60%), POST (30%) and DELETE (10%) over 200 groups, each
-- push setting 50 gauge series and a histogram to a changing value. The working set is bounded
-- (200 groups), so the server's memory must level off.
local counter = 0

request = function()
  counter = counter + 1
  local group = counter % 200
  local path = "/metrics/job/soak/instance/i" .. group
  local kind = counter % 10
  if kind == 9 then
    return wrk.format("DELETE", path)
  end
  local lines = {}
  for series = 1, 50 do
    lines[#lines + 1] = string.format('soak_value{series="%d"} %d', series, counter)
  end
  lines[#lines + 1] = "# TYPE soak_latency_seconds histogram"
  lines[#lines + 1] = string.format('soak_latency_seconds_bucket{le="0.1"} %d', counter)
  lines[#lines + 1] = string.format('soak_latency_seconds_bucket{le="1"} %d', counter * 2)
  lines[#lines + 1] = string.format('soak_latency_seconds_bucket{le="+Inf"} %d', counter * 3)
  lines[#lines + 1] = string.format("soak_latency_seconds_sum %d", counter)
  lines[#lines + 1] = string.format("soak_latency_seconds_count %d", counter * 3)
  local method = "PUT"
  if kind >= 6 then
    method = "POST"
  end
  return wrk.format(method, path, nil, table.concat(lines, "\n") .. "\n")
end
