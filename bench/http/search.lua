-- wrk script: search through the JSON API, cycling through the url-encoded queries (one per
-- line) of the file named by $QUERIES; each wrk thread starts at another query. $MODE picks
-- the mode (hybrid by default; keyword, semantic).
local queries = {}
local i = 0
local mode = os.getenv("MODE") or "hybrid"

function init(args)
  for line in io.lines(os.getenv("QUERIES")) do
    queries[#queries + 1] = line
  end
  assert(#queries > 0, "no queries in " .. os.getenv("QUERIES"))
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
  i = math.random(#queries)
end

function request()
  i = i % #queries + 1
  return wrk.format("GET", "/api/v1/search?mode=" .. mode .. "&limit=10&q=" .. queries[i])
end
