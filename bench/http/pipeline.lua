-- wrk script for `make bench-http`: sends DEPTH requests (default 16) in one write and counts
-- each response. Usage: wrk -s bench/http/pipeline.lua URL -- 16
init = function(args)
  local depth = tonumber(args[1]) or 16
  local one = wrk.format(nil, nil, nil, nil)
  local batch = {}
  for i = 1, depth do batch[i] = one end
  pipelined = table.concat(batch)
end

request = function()
  return pipelined
end
