#!/usr/bin/env bash
# make demo: start a development host on the embedded SQLite instance
# (state/instance.db, created with a sample `sales` table), run a Python and an
# R script on its rows through the host, print the result sets, stop the host.
set -euo pipefail
cd "$(dirname "$0")/.."
state=state
mkdir -p "$state"
sock="unix://$state/launchpad.sock"

bin/launchpad dev --state "$state" 2>"$state/host.log" &
host=$!
trap 'kill -TERM $host 2>/dev/null; wait $host 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  [ -S "$state/launchpad.sock" ] && break
  kill -0 $host 2>/dev/null || { cat "$state/host.log" >&2; exit 1; }
  sleep 0.1
done

echo "== Python: revenue by region, through PythonLauncher (pandas) =="
bin/launchpad exec --address "$sock" --language Python \
  --input-query "SELECT id, region, product, units, unit_price, sold_on, big_id FROM sales" \
  --params "@min_units int, @top_region nvarchar(20) OUTPUT" --param min_units=5 \
  --script '
df = InputDataSet.dropna(subset=["units", "unit_price"])
df = df[df["units"] >= min_units].assign(revenue=lambda d: d["units"] * d["unit_price"])
OutputDataSet = (df.groupby("region", dropna=False)
                   .agg(orders=("id", "count"), units=("units", "sum"),
                        revenue=("revenue", "sum"), max_big_id=("big_id", "max"))
                   .reset_index()
                   .sort_values("revenue", ascending=False))
top_region = str(OutputDataSet["region"].iloc[0])
print(f"{len(InputDataSet)} rows in, {len(OutputDataSet)} regions out")
'

if [ -x bin/plugins/launchpad-r ]; then
  echo
  echo "== R: units by product, through RLauncher =="
  bin/launchpad exec --address "$sock" --language R \
    --input-query "SELECT product, units, unit_price, sold_on FROM sales" \
    --script '
df <- InputDataSet
# units is an SQLite INTEGER (a bigint): small values arrive as R integers,
# on which base R computes directly.
df$revenue <- df$units * df$unit_price
agg <- aggregate(cbind(units, revenue) ~ product, data = df, FUN = sum)
agg$revenue <- round(agg$revenue, 2)
OutputDataSet <- agg[order(-agg$revenue), ]
cat(nrow(df), "rows in,", nrow(OutputDataSet), "products out\n")
'
fi
