-- wrk: every request the same chart with a different `target` line, so a new cache key and a
-- render each time. Threads start far apart so they never ask for the same key. The path is
-- the script's argument: wrk ... -s bench/uncached.lua BASE -- PATH
local counter = 0
local offset = 0
local threads = 0
function setup(thread)
  thread:set("offset", threads * 40)
  threads = threads + 1
end
function init(args)
  offset = tonumber(offset) or 0
  path = args[1]
end
function request()
  counter = counter + 1
  local target = offset + counter / 100000
  return wrk.format("GET", path .. "&target=" .. string.format("%.5f", target))
end
