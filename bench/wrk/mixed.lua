-- What reaches a task in the cost model's mix (bench/cost.py: 80% GET, 15% PUT, DELETE goes
-- to the function): five GETs of random existing keys to one PUT. Keys file: first argument.
local keys = {}
local sent = 0
local body = '{"name": "bench", "price": 12.5, "qty": 3, "tags": ["a", "b"], "ok": true}'
local json = { ["Content-Type"] = "application/json" }

init = function(args)
  for line in io.lines(args[1]) do
    keys[#keys + 1] = line
  end
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end

request = function()
  sent = sent + 1
  if sent % 6 == 0 then
    return wrk.format("POST", "/picus/put", json, body)
  end
  return wrk.format("GET", "/picus/get/" .. keys[math.random(#keys)])
end
