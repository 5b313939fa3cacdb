-- GET of random existing keys; the keys file is the script's first argument.
local keys = {}

init = function(args)
  for line in io.lines(args[1]) do
    keys[#keys + 1] = line
  end
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end

request = function()
  return wrk.format("GET", "/picus/get/" .. keys[math.random(#keys)])
end
