#!/bin/bash
# (measure evals its command string: single quotes are deliberate)
# shellcheck disable=SC2016
# Benchmark the data dump (-d): bimg-scan -d | bimg-pack -c1 -t2 on a
# filesystem holding more than 1 GiB of file data, next to the two limits
# that bound it, measured on the same device in the same run:
#
#   cat DEVICE > /dev/null     reading the bytes (the reading limit)
#   pigz -1 -p 2 < DEVICE      compressing the same bytes at level 1 with
#                              two threads (the compression limit)
#
#   bench/data.sh              (BENCH_DIR, BENCH_RUNS: see bench/lib.sh)
#   BENCH_DATA_MB=1100         MiB of file data to put in the filesystem
#   BENCH_DROP_CACHES=1        drop the page cache before every run (needs
#                              root, disturbs everything else on the machine);
#                              by default every run reads from a warm cache
#
# Throughputs are the device size divided by the wall time (median of
# BENCH_RUNS), so the ratios are ratios of wall times.  bimg-scan -d alone
# (output to /dev/null) is measured too, to show which stage is the limit.  The filesystem is
# made with mkfs.btrfs --rootdir --shrink, so the device holds little besides
# the data.  The staging directory and the filesystem are deleted at the end.
# Not a test: it prints, it does not fail.
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DATA_MB=${BENCH_DATA_MB:-1100}
command -v pigz >/dev/null || { echo "bench: pigz is missing (apt-get install pigz)" >&2; exit 1; }
command -v mkfs.btrfs >/dev/null || { echo "bench: mkfs.btrfs is missing" >&2; exit 1; }

# ---- the filesystem: 40% random (incompressible) in 16 MiB files, 40% text
# in 4 MiB files, 20% small files of 1..64 KiB (many small extents) ----
stage=$SCRATCH/stage
dev=$SCRATCH/data-fs.img
echo "bench: staging $DATA_MB MiB of files and running mkfs.btrfs --rootdir" >&2
python3 - "$stage" "$DATA_MB" <<'EOF'
import os, random, sys
top, total = sys.argv[1], int(sys.argv[2]) << 20
rng = random.Random(1)
words = [''.join(rng.choice('abcdefghijklmnopqrstuvwxyz') for _ in range(rng.randint(2, 9))) for _ in range(5000)]
def text(n):
    out, size = [], 0
    while size < n:
        line = ' '.join(rng.choices(words, k=rng.randint(4, 14))) + '\n'
        out.append(line)
        size += len(line)
    return ''.join(out).encode()[:n]
for d in ('random', 'text', 'small'):
    os.makedirs(os.path.join(top, d), exist_ok=True)
budget = {'random': total * 4 // 10, 'text': total * 4 // 10, 'small': total * 2 // 10}
i = 0
while budget['random'] > 0:
    n = min(16 << 20, budget['random'])
    with open(os.path.join(top, 'random', 'r%04d' % i), 'wb') as f:
        f.write(os.urandom(n))
    budget['random'] -= n
    i += 1
base = text(1 << 20)
i = 0
while budget['text'] > 0:
    n = min(4 << 20, budget['text'])
    with open(os.path.join(top, 'text', 't%04d.txt' % i), 'wb') as f:
        for k in range(0, n, 1 << 20):  # shifted copies: not one block repeated
            s = rng.randrange(len(base))
            f.write((base[s:] + base[:s])[:min(1 << 20, n - k)])
    budget['text'] -= n
    i += 1
i = 0
while budget['small'] > 0:
    n = min(rng.randint(1, 64) << 10, budget['small'])
    sub = os.path.join(top, 'small', 'd%03d' % (i // 1000))
    os.makedirs(sub, exist_ok=True)
    with open(os.path.join(sub, 's%06d' % i), 'wb') as f:
        f.write(text(n) if i % 2 else os.urandom(n))
    budget['small'] -= n
    i += 1
EOF
truncate -s $((DATA_MB * 3))M "$dev"
mkfs.btrfs -q --rootdir "$stage" --shrink "$dev" >/dev/null
rm -rf "$stage"
dev_bytes=$(stat -c %s "$dev")

echo "machine: nproc $(nproc), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "source:  $DATA_MB MiB of files, mkfs.btrfs --rootdir --shrink: device $((dev_bytes >> 20)) MiB"
cache=warm
[[ ${BENCH_DROP_CACHES:-0} == 1 ]] && cache="dropped before every run"
echo "runs:    median of $BENCH_RUNS, page cache $cache; MB/s = device bytes / wall"
echo

before_run() {
	if [[ ${BENCH_DROP_CACHES:-0} == 1 ]]; then
		sync
		echo 3 >/proc/sys/vm/drop_caches
	fi
}
cat "$dev" >/dev/null # warm the cache (and the disk) once for everybody

mbps() { awk -v b="$dev_bytes" -v s="$1" 'BEGIN { if (s > 0) printf "%.0f", b / s / 1e6; else print "inf" }'; }

measure cat 'before_run; timed "$SCRATCH/t" cat "$dev" >/dev/null'
cat_wall=$WALL cat_rss=$RSS_MB
measure pigz 'before_run; timed "$SCRATCH/t" pigz -1 -p 2 <"$dev" >"$SCRATCH/pigz.gz"'
pigz_wall=$WALL pigz_rss=$RSS_MB pigz_size=$(stat -c %s "$SCRATCH/pigz.gz")
rm -f "$SCRATCH/pigz.gz"
# The two stages each under /usr/bin/time: the pipeline's wall is the later
# one to finish (bimg-pack), its RSS the larger of the two.
dump_one() {
	before_run
	timed "$SCRATCH/scan.t" "$BIN/bimg-scan" -d "$dev" |
		timed "$SCRATCH/pack.t" "$BIN/bimg-pack" -c1 -t2 -o "$SCRATCH/dump.img"
	read -r scan_wall scan_rss <"$SCRATCH/scan.t"
	read -r pack_wall pack_rss <"$SCRATCH/pack.t"
	awk -v a="$scan_wall" -v b="$pack_wall" -v c="$scan_rss" -v d="$pack_rss" \
		'BEGIN { print (a > b ? a : b), (c > d ? c : d) }' >"$SCRATCH/t"
}
measure dump 'dump_one'
dump_wall=$WALL dump_rss=$RSS_MB dump_size=$(stat -c %s "$SCRATCH/dump.img")
last_scan="bimg-scan ${scan_wall}s $((scan_rss / 1024)) MB, bimg-pack ${pack_wall}s $((pack_rss / 1024)) MB"
# bimg-scan alone: how fast the data is read and framed, without packing.
measure scan 'before_run; timed "$SCRATCH/t" "$BIN/bimg-scan" -d "$dev" >/dev/null'
scan_alone_wall=$WALL scan_alone_rss=$RSS_MB

printf '%-28s %8s %8s %8s %10s\n' what wall MB/s "RSS MB" "output MB"
printf '%-28s %7ss %8s %8s %10s\n' "cat DEVICE" "$cat_wall" "$(mbps "$cat_wall")" "$cat_rss" -
printf '%-28s %7ss %8s %8s %10s\n' "pigz -1 -p 2" "$pigz_wall" "$(mbps "$pigz_wall")" "$pigz_rss" $((pigz_size >> 20))
printf '%-28s %7ss %8s %8s %10s\n' "bimg-scan -d | pack -c1 -t2" "$dump_wall" "$(mbps "$dump_wall")" "$dump_rss" \
	$((dump_size >> 20))
echo "  last run: $last_scan"
printf '%-28s %7ss %8s %8s %10s\n' "bimg-scan -d > /dev/null" "$scan_alone_wall" "$(mbps "$scan_alone_wall")" \
	"$scan_alone_rss" -
echo
echo "ratios (throughput / throughput):"
echo "  dump / cat       $(ratio "$cat_wall" "$dump_wall")"
echo "  dump / pigz -1   $(ratio "$pigz_wall" "$dump_wall")"
echo "  bimg-scan alone / cat  $(ratio "$cat_wall" "$scan_alone_wall")"
rm -f "$dev" "$SCRATCH/dump.img"
