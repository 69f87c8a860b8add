#!/bin/bash
# (the commands are eval'ed strings, CMD_x and CLEAN_x read by one_run: single
# quotes and "unused" variables are deliberate)
# shellcheck disable=SC2016,SC2034
# Wall time and peak RSS against metadata size, both tools, at every size
# of BENCH_SCALE that is present: a table on standard output, and
# docs/scale.tsv, docs/scale.png and docs/scale.svg drawn with gnuplot
# (gnuplot-nox is installed when missing and we are root).
#
#   bench/scale.sh             measure, then draw
#   bench/scale.sh --plot      only draw again, and report the goals, from docs/scale.tsv
#
#   (variables: see bench/lib.sh; BENCH_RUNS defaults to 3 here)
#   BENCH_SCALE="20000 60000 200000 2000000"   the big-N filesystems (N files)
#   BENCH_OUT=docs             where the table and the plots go
#
# Operations: dump -c0, dump -c9 -t2, dump -ss, the restore of the
# reference's -c9 image (btrfs-image -r -t2 against btrfs-image.sh -r),
# and, when bimg-unpack has --verify, the check of that image (ours only:
# the reference has nothing like it).  The metadata size of a filesystem
# is the size of its -c0 image.  big-N filesystems are found or made as
# bench/lib.sh says; big-2000000 (2.9 GB of metadata, 6 GB of disk, minutes
# to make) is never built here: a size that is missing is named and left out.
BENCH_RUNS=${BENCH_RUNS:-3}
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bench_need gnuplot gnuplot-nox
SIZES=${BENCH_SCALE:-20000 60000 200000 2000000}
OUT=${BENCH_OUT:-$ROOT/docs}
TSV=$OUT/scale.tsv
OPERATIONS=("dump -c0" "dump -c9 -t2" "dump -ss" restore verify)

# row N META OPERATION TOOL RUNS: the runs in $SCRATCH/RUNS.runs as one line of the TSV.
row() {
	stats "$5"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$MED" "$MIN" "$MAX" "$CPU" "$RSS_MB" >>"$SCRATCH/scale.tsv"
}

# both N META OPERATION: CMD_ref and CMD_ours side by side; two TSV lines, one table line.
both() {
	side_by_side ref ours
	row "$1" "$2" "$3" btrfs-image ref
	local ref_med=$MED ref_rss=$RSS_MB
	row "$1" "$2" "$3" bimg ours
	printf '%-8s %7s MB  %-13s %7s s %7s s %6sx %6s MB %6s MB\n' "$1" "$2" "$3" "$ref_med" "$MED" \
		"$(ratio "$MED" "$ref_med")" "$ref_rss" "$RSS_MB"
}

# measure_size N SOURCE: every operation on one filesystem.
measure_size() {
	local n=$1 meta i
	SRC=$2
	# the -c0 image: its size is the metadata size; making it warms the page cache
	"$WRAPPER" -c0 "$SRC" "$SCRATCH/c0.img"
	meta=$(awk -v b="$(stat -c %s "$SCRATCH/c0.img")" 'BEGIN { printf "%.0f", b / 1e6 }')
	rm -f "$SCRATCH/c0.img"
	CLEAN_ref='rm -f "$SCRATCH/ref.img"'
	CLEAN_ours='rm -f "$SCRATCH/ours.img"'
	# (-ss makes btrfs-image print a warning per name it cannot match: kept out of the table)
	CMD_ref='timed_cpu "$SCRATCH/t" "$REF" $MODE "$SRC" "$SCRATCH/ref.img" 2>>"$SCRATCH/ref.err"'
	CMD_ours='timed_cpu "$SCRATCH/t" "$WRAPPER" $MODE "$SRC" "$SCRATCH/ours.img"'
	SETTLE_SOURCE=$SRC
	for MODE in "-c0" "-c9 -t2" "-ss"; do
		both "$n" "$meta" "dump $MODE"
	done
	SETTLE_SOURCE=
	rm -f "$SCRATCH/ref.img" "$SCRATCH/ours.img"

	"$REF" -c9 -t2 "$SRC" "$SCRATCH/image"
	CLEAN_ref='rm -f "$SCRATCH/target"'
	CLEAN_ours=$CLEAN_ref
	CMD_ref='timed_cpu "$SCRATCH/t" "$REF" -r -t2 "$SCRATCH/image" "$SCRATCH/target"'
	CMD_ours='timed_cpu "$SCRATCH/t" "$WRAPPER" -r "$SCRATCH/image" "$SCRATCH/target"'
	both "$n" "$meta" restore
	rm -f "$SCRATCH/target"

	if "$BIN/bimg-unpack" --help 2>/dev/null | grep -q -- --verify; then
		CMD_verify='timed_cpu "$SCRATCH/t" "$BIN/bimg-unpack" --verify "$SCRATCH/image" >/dev/null'
		: >"$SCRATCH/verify.runs"
		for ((i = 0; i < BENCH_RUNS; i++)); do one_run verify; done
		row "$n" "$meta" verify bimg verify
		printf '%-8s %7s MB  %-13s %9s %7s s %7s %9s %6s MB\n' "$n" "$meta" verify - "$MED" - - "$RSS_MB"
	fi
	rm -f "$SCRATCH/image"
}

measure_all() {
	local n src present=0
	print_machine
	echo
	printf 'files\tmetadata_mb\toperation\ttool\twall_s\twall_min_s\twall_max_s\tcpu_s\trss_mb\n' >"$SCRATCH/scale.tsv"
	printf '%-8s %10s  %-13s %9s %9s %7s %9s %9s\n' files metadata operation "ref wall" "our wall" ratio \
		"ref RSS" "our RSS"
	for n in $SIZES; do
		if ! src=$(big_image "$n"); then
			echo "big-$n: not in $FIXTURES/bench, left out (tests/fixtures/mkfixtures --only big-$n $FIXTURES makes it)"
			continue
		fi
		measure_size "$n" "$src"
		present=$((present + 1))
	done
	((present > 0)) || bench_fail "no big-N filesystem in $FIXTURES/bench: nothing to plot"
	((present >= 3)) || echo "note: $present size(s) measured; the plot is meant to have 3 at least"
	mkdir -p "$OUT"
	cp "$SCRATCH/scale.tsv" "$TSV"
	echo "# $(date -u '+%Y-%m-%d'), $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)," \
		"$(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg) at the end" >>"$TSV"
}

# One data file per (operation, tool): metadata_mb wall_s rss_mb, by size.
split_series() {
	mkdir -p "$SCRATCH/series"
	awk -F'\t' -v dir="$SCRATCH/series" 'NR > 1 && $1 !~ /^#/ {
		f = dir "/" $3 "|" $4
		print $2, $5, $9 >> f
	}' "$TSV"
}

# plot TERMINAL FILE
plot() {
	local term=$1 file=$2 i op tool style plots_wall="" plots_rss="" f title machine
	machine=$(grep '^#' "$TSV" | tail -1 | sed 's/^# //')
	for i in "${!OPERATIONS[@]}"; do
		op=${OPERATIONS[$i]}
		for tool in bimg btrfs-image; do
			f="$SCRATCH/series/$op|$tool"
			[[ -f $f ]] || continue
			sort -n -o "$f" "$f"
			style="lc $((i + 1)) dt 1 pt 7"
			title="$op, $tool"
			[[ $tool == btrfs-image ]] && style="lc $((i + 1)) dt 2 pt 6" && title="$op, btrfs-image 6.2"
			plots_wall+="'$f' using 1:2 with linespoints $style lw 2 title '$title', "
			plots_rss+="'$f' using 1:3 with linespoints $style lw 2 notitle, "
		done
	done
	gnuplot <<EOF
set terminal $term size 1200,560 font "sans,11"
set output "$file"
set multiplot layout 1,2 title "bimg (solid) and btrfs-image 6.2 (dashed) on big-N filesystems: $machine"
set logscale xy
set grid
set xlabel "metadata (MB, size of the -c0 image)"
set ylabel "wall time (s)"
set key top left font "sans,9"
plot ${plots_wall%, }
set ylabel "peak RSS of the largest process (MB)"
plot ${plots_rss%, }
unset multiplot
EOF
}

# goals: the issue's scale goals, read from the TSV, for the largest size
# against 200000 files (the benchmark size): every stage of ours at most
# 64 MB and within 10 % of its peak RSS at 200000 files; wall time per MB
# of metadata within 1.15x of that at 200000 files; our restore no slower
# than the reference's.  verify is judged like every stage: its facts keep to
# a budget, the rest in temporary files (docs/design.md, "Verify").
goals() {
	awk -F'\t' -v base=200000 '
	NR > 1 && $1 !~ /^#/ {
		key = $3 "|" $4
		wall[$1, key] = $5; rss[$1, key] = $9; meta[$1] = $2
		if ($1 + 0 > top) top = $1 + 0
		ops[key] = 1
	}
	function verdict(ok) { return ok ? "met" : "NOT MET" }
	END {
		if (!((base, "dump -c0|bimg") in wall) || top <= base) {
			print "0 goals: need big-200000 and a larger size in the table"; exit
		}
		printf "0 goals at %d files against %d (issue \"Performance at scale\", goal 4):\n", top, base
		for (key in ops) {
			split(key, k, "|")
			if (k[2] != "bimg" || !((top, key) in wall)) continue
			r = rss[top, key]; r0 = rss[base, key]
			per = (wall[top, key] / meta[top]) / (wall[base, key] / meta[base])
			flat = sprintf("within 10 %%: %s", verdict(r <= 1.1 * r0))
			printf "1   %-13s RSS %6.1f MB (%.1f at %d): <= 64 MB %s, %s; wall/MB %.2fx of %d files: %s\n", k[1], r, r0, base,
				verdict(r <= 64), flat, per, base, verdict(per <= 1.15)
		}
		if ((top, "restore|btrfs-image") in wall)
			printf "2   restore at %d files: %.1f s against the reference'"'"'s %.1f s: no slower %s\n", top,
				wall[top, "restore|bimg"], wall[top, "restore|btrfs-image"],
				verdict(wall[top, "restore|bimg"] <= wall[top, "restore|btrfs-image"])
	}' "$TSV" | sort -s -k1,2 | cut -d' ' -f2-
}

draw() {
	[[ -f $TSV ]] || bench_fail "no $TSV: run bench/scale.sh without --plot first"
	split_series
	plot "pngcairo" "$OUT/scale.png"
	plot "svg dynamic" "$OUT/scale.svg"
	echo "wrote $TSV, $OUT/scale.png, $OUT/scale.svg"
}

case ${1:-} in
--plot) ;;
"") measure_all ;;
*) bench_fail "usage: bench/scale.sh [--plot]" ;;
esac
draw
goals
