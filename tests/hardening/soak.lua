-- wrk script for the rotation soak: cycles through "<class> <token>" lines of the file given
-- after `--` and counts each response's status per class. One connection per thread
-- (-c equal to -t), so the response a thread sees is always that of its last request.
local threads = {}
local entries = {}
local i = 0
local current = nil
counts = {}

function setup(thread)
  threads[#threads + 1] = thread
end

function init(args)
  for line in io.lines(args[1]) do
    local class, token = line:match("^(%S+) (.*)$")
    if class then
      entries[#entries + 1] = { class = class, token = token }
    end
  end
  i = math.random(#entries) - 1
end

function request()
  i = i % #entries + 1
  current = entries[i].class
  return wrk.format("GET", "/soak/" .. current, { ["Authorization"] = "Bearer " .. entries[i].token })
end

function response(status, headers, body)
  local key = current .. ":" .. status
  counts[key] = (counts[key] or 0) + 1
end

function done(summary, latency, requests)
  for _, thread in ipairs(threads) do
    for key, n in pairs(thread:get("counts")) do
      io.write("COUNT " .. key .. " " .. n .. "\n")
    end
  end
  local e = summary.errors
  io.write(string.format("ERRORS %d %d %d %d %d\n", e.connect, e.read, e.write, e.timeout, e.status))
end
