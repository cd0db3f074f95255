-- wrk script: sends "Authorization: Bearer <token>" cycling through the tokens in the file
-- given after `--`, one per line. With more distinct tokens than any cache holds, every
-- request is a cache miss; with one token, every request after the first is a hit.
local tokens = {}
local i = 0

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then
      tokens[#tokens + 1] = line
    end
  end
  -- Threads start at different offsets so they do not send the same token in lockstep.
  i = math.random(#tokens) - 1
end

function request()
  i = i % #tokens + 1
  return wrk.format("GET", "/", { ["Authorization"] = "Bearer " .. tokens[i] })
end
