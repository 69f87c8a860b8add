#!/bin/bash
# btrfs-image.sh: the command line of btrfs-image (btrfs-progs 6.2) on top
# of the bimg pipeline.
#
#   dump:    bimg-scan [-w] DEVICE... | [bimg-sanitize -s|-ss] | bimg-pack -c N [-t N] -o TARGET
#   restore: bimg-unpack [-t N] IMAGE | bimg-fixchunks [-o] TARGET
#   --verify IMAGE:        bimg-unpack --verify IMAGE
#   --verify (dump):       ... | bimg-pack --verify ...
#
# The options are checked like the reference checks them: in the same
# order, with the same conditions and the same messages, exit status 1.
# Differences (see docs/compat.md): --help prints to stdout; --version and
# --device exist; -m restores with bimg-fixchunks -m; -d (data, format 1)
# works although Debian's build refuses it; --rescue is passed to bimg-scan,
# --ignore-bad-blocks (restore) to bimg-fixchunks; --verify checks an image,
# or a dump as it is made.  A usage error is one line (the reference adds its
# usage).
#
# Each stage reports its own failure (one line) and passes an ERROR record
# downstream, so the later stages exit 1 quietly; a stage whose reader (a
# stage) went away is told by BIMG_DOWNSTREAM_REPORTS=1 that the reader has
# already said why, so it exits 1 quietly too.  This script adds nothing
# (bash itself reports a stage killed by a signal).
# Exit status 2 (as bimg-scan's): --rescue made the image, but around
# damaged tree blocks.

set -o pipefail
shopt -s extglob

prog=$0
# Every process started before the stages shows in a small dump's time
# (docs/design.md, "Measuring"), so the checks below use bash's own tests
# and run a program only where bash has no way to find the answer.
self=${BASH_SOURCE[0]}
[[ -L $self ]] && self=$(readlink -f -- "$self")
[[ $self == */* ]] && here=${self%/*} || here=.

usage() {
	cat <<EOF
usage: btrfs-image.sh [options] source target
       btrfs-image.sh -r [-t N] [-o] image target
       btrfs-image.sh --verify [-t N] image

    Create or restore a filesystem image (metadata)

    Options:
    -r                        restore metadump image
    -c value                  compression level (0 ~ 9)
    -t value                  number of threads (1 ~ 32)
    -o                        don't mess with the chunk tree when restoring
    -s                        sanitize file names, use once to just use garbage, use twice if you want crc collisions
                              (with -s the name hashes no longer match: the restored image fails btrfs check
                              and does not mount; with -ss it passes and mounts)
    -w                        walk all trees instead of using extent tree, do this if your extent tree is broken
    -m                        restore for multiple devices (one target per source device)
    -d                        also dump file data (image format 1), conflicts with -w
    --device path             another member device of the source filesystem (repeatable)
    --new-fsid[=UUID]         restore: give the restored filesystem a new fsid (random without UUID)
    --rescue=copy|skip        dump: copy tree blocks with no good copy as they are, or skip them,
                              and go on (exit status 2 if there were any; see bimg-scan(1))
    --ignore-bad-blocks       restore: write damaged tree blocks (a --rescue=copy image) as they are
    --odometer                with -ss: btrfs-image's own replacement names (deterministic)
    --verify                  dump: check the image as it is made, fail if it would be incomplete;
                              with only an image: check it (complete and sound?) and report
    --help                    print this help and exit
    --version                 print the version and exit

    In the dump mode, source is the btrfs device and target is the output file (use '-' for stdout).
    In the restore mode, source is the dumped image (use '-' for stdin) and target is the btrfs device/file.
EOF
}

# What a message quotes (a file name, an option value) with its control
# characters shown as \xNN: the message stays one line and cannot drive
# the terminal.  Sets REPLY.
visible() {
	local LC_ALL=C s=$1 out='' c i
	REPLY=$s
	[[ $s == *[[:cntrl:]]* ]] || return 0
	for ((i = 0; i < ${#s}; i++)); do
		c=${s:i:1}
		[[ $c == [[:cntrl:]] ]] && printf -v c '\\x%02x' "'$c"
		out+=$c
	done
	REPLY=$out
}

error() { visible "$*" && printf 'ERROR: %s\n' "$REPLY" >&2; }
# A bad command line: getopt's message (the reference's words), one line.
bad_usage() { visible "$1" && printf "%s: %s: try '%s --help'\n" "$prog" "$REPLY" "$prog" >&2; exit 1; }

# A stage program: next to this script (symlinks resolved), in bin/ below
# it (a source checkout), or in PATH.  Sets REPLY; returns 1 if not found.
find_stage() {
	local dir
	for dir in "$here" "$here/bin"; do
		if [[ -f $dir/$1 && -x $dir/$1 ]]; then
			REPLY=$dir/$1
			return 0
		fi
	done
	REPLY=$(command -v -- "$1") || return 1
}

need_stage() {
	find_stage "$1" || { error "cannot find $1 (looked in $here, $here/bin and PATH)"; exit 1; }
}

version() {
	local v=
	if find_stage bimg-pack; then
		v=$("$REPLY" --version 2>/dev/null) && v=${v##* }
	fi
	[[ -n $v ]] || v=$(cat -- "$here/VERSION" 2>/dev/null) || v=unknown
	printf 'btrfs-image.sh (bimg) %s\n' "$v"
}

# Parse a number the way strtoull(str, &end, 0) does and the reference
# judges it: junk after the digits is invalid, then a leading '-' is
# negative, then ULLONG_MAX (or overflow) is too large.  Sets REPLY to the
# value (bash's signed 64 bits: negative means >= 2^63).
parse_u64() {
	local s=$1 rest digits tail base=10 max minus=0 value
	rest=${s##+([[:space:]])}
	case $rest in
	-*) minus=1 rest=${rest:1} ;;
	+*) rest=${rest:1} ;;
	esac
	if [[ $rest == 0[xX][[:xdigit:]]* ]]; then
		base=16 rest=${rest:2}
		digits=${rest%%[^[:xdigit:]]*}
		max=ffffffffffffffff
	elif [[ $rest == 0* ]]; then
		base=8
		digits=${rest%%[^0-7]*}
		max=1777777777777777777777
	else
		digits=${rest%%[^0-9]*}
		max=18446744073709551615
	fi
	tail=${rest:${#digits}}
	# strtoull stops at the start when there are no digits at all
	[[ -z $digits ]] && tail=$s
	if [[ -n $tail ]]; then
		error "$s is not a valid numeric value"
		exit 1
	fi
	if [[ $s == -* ]]; then
		error "$s: negative value is invalid"
		exit 1
	fi
	digits=${digits##+(0)}
	digits=${digits,,}
	# same length: the digit strings compare like the numbers
	# shellcheck disable=SC2071
	if ((${#digits} > ${#max})) || [[ ${#digits} -eq ${#max} && ! $digits < $max ]]; then
		error "$s is too large"
		exit 1
	fi
	value=$((${base}#${digits:-0}))
	((minus)) && value=$((-value))
	if ((value == -1)); then
		error "$s is too large"
		exit 1
	fi
	REPLY=$value
}

unsigned() { printf '%u' "$1"; }

# ---- options, processed in command-line order like getopt_long ----

create=1 old_restore=0 sanitize=0 walk=0 multi=0 dump_data=0
compress=0 threads='' positional=() extra_devices=() new_fsid='' rescue='' odometer='' ignore_bad_blocks='' verify=0

short_option() { # LETTER [ARGUMENT]
	case $1 in
	r) create=0 ;;
	t)
		parse_u64 "$2"
		if ((REPLY < 0 || REPLY > 32)); then
			error "number of threads out of range: $(unsigned "$REPLY") > 32"
			exit 1
		fi
		threads=$REPLY
		;;
	c)
		parse_u64 "$2"
		if ((REPLY < 0 || REPLY > 9)); then
			error "compression level out of range: $(unsigned "$REPLY")"
			exit 1
		fi
		compress=$REPLY
		;;
	o) old_restore=1 ;;
	s) ((sanitize < 2 && sanitize++)) ;;
	w) walk=1 ;;
	m) create=0 multi=1 ;;
	d) dump_data=1 ;;
	esac
}

long_option() { # ARG INDEX-OF-NEXT -> sets consumed=1 if the next argument was used
	local arg=${1#--} name value='' has_value=0 full
	if [[ $arg == *=* ]]; then
		name=${arg%%=*} value=${arg#*=} has_value=1
	else
		name=$arg
	fi
	case $name in
	@(h|he|hel|help)) full=help ;;
	@(v|ve|ver))
		bad_usage "option '$1' is ambiguous; possibilities: '--version' '--verify'"
		;;
	@(vers|versi|versio|version)) full=version ;;
	@(veri|verif|verify)) full=verify ;;
	@(d|de|dev|devi|devic|device)) full=device ;;
	@(n|ne|new|new-|new-f|new-fs|new-fsi|new-fsid)) full=new-fsid ;;
	@(r|re|res|resc|rescu|rescue)) full=rescue ;;
	@(o|od|odo|odom|odome|odomet|odomete|odometer)) full=odometer ;;
	@(i|ig|ign|igno|ignor|ignore|ignore-|ignore-b|ignore-ba|ignore-bad|ignore-bad-|ignore-bad-b|ignore-bad-bl|ignore-bad-blo|ignore-bad-bloc|ignore-bad-block|ignore-bad-blocks)) full=ignore-bad-blocks ;;
	*)
		bad_usage "unrecognized option '$1'"
		;;
	esac
	if [[ $full != @(device|new-fsid|rescue) ]] && ((has_value)); then
		bad_usage "option '--$full' doesn't allow an argument"
	fi
	case $full in
	# a reader that stops early (| head) ends a report quietly: a subshell takes the SIGPIPE
	help)
		(usage) 2>/dev/null
		exit 0
		;;
	version)
		(version) 2>/dev/null
		exit 0
		;;
	device)
		if ! ((has_value)); then
			if (($# < 2)); then
				bad_usage "option '--device' requires an argument"
			fi
			value=$2 consumed=1
		fi
		extra_devices+=("$value")
		;;
	rescue)
		if ! ((has_value)); then
			if (($# < 2)); then
				bad_usage "option '--rescue' requires an argument"
			fi
			value=$2 consumed=1
		fi
		if [[ $value != @(copy|skip) ]]; then
			error "--rescue: '$value' is neither copy nor skip"
			exit 1
		fi
		rescue=--rescue=$value
		;;
	odometer)
		odometer=--odometer
		;;
	ignore-bad-blocks)
		ignore_bad_blocks=--ignore-bad-blocks
		;;
	verify)
		verify=1
		;;
	new-fsid)
		# An optional argument, as getopt_long takes it: only after '='.
		if ((has_value)); then new_fsid=--new-fsid=$value; else new_fsid=--new-fsid; fi
		;;
	esac
}

args=("$@")
i=0
while ((i < ${#args[@]})); do
	arg=${args[i]}
	i=$((i + 1))
	if [[ $arg == -- ]]; then
		positional+=("${args[@]:i}")
		break
	elif [[ $arg == --* ]]; then
		consumed=0
		long_option "$arg" "${args[@]:i:1}"
		i=$((i + consumed))
	elif [[ $arg == -?* ]]; then
		j=1
		while ((j < ${#arg})); do
			letter=${arg:j:1}
			j=$((j + 1))
			case $letter in
			[roswmd]) short_option "$letter" ;;
			[ct])
				if ((j < ${#arg})); then
					optarg=${arg:j}
				elif ((i < ${#args[@]})); then
					optarg=${args[i]}
					i=$((i + 1))
				else
					bad_usage "option requires an argument -- '$letter'"
				fi
				short_option "$letter" "$optarg"
				break
				;;
			*)
				bad_usage "invalid option -- '$letter'"
				;;
			esac
		done
	else
		positional+=("$arg")
	fi
done

# ---- --verify: check an image (a dump passes --verify to bimg-pack) ----

# --verify IMAGE (no target): bimg-unpack's report and verdict (exit 0 sound, 1 not).
verify_image() {
	local image=${positional[0]}
	if ((!create || multi || old_restore || walk || sanitize || compress || dump_data)) ||
		[[ ${#extra_devices[@]} -gt 0 || -n $rescue$new_fsid$odometer$ignore_bad_blocks ]]; then
		error "--verify with one argument checks an image: only -t goes with it"
		exit 1
	fi
	need_stage bimg-unpack
	# a file named like an option is passed as a path ("-" is standard input)
	[[ $image == -?* ]] && image=./$image
	exec "$REPLY" --verify ${threads:+-t "$threads"} "$image"
}

# ---- the reference's checks, in its order ----

((verify && ${#positional[@]} == 1)) && verify_image

if ((${#positional[@]} < 2)); then
	bad_usage "not enough arguments: ${#positional[@]} but at least 2 expected"
fi
dev_cnt=$((${#positional[@]} - 1))
source_arg=${positional[0]}
target=${positional[1]}

usage_error=0
if ((create)); then
	if ((old_restore)); then
		error "create and restore cannot be used at the same time"
		usage_error=1
	fi
	if ((dump_data && walk)); then
		error "-d conflicts with -w option"
		usage_error=1
	fi
	if [[ -n $new_fsid ]]; then
		error "--new-fsid is a restore option (-r)"
		usage_error=1
	fi
	if [[ -n $ignore_bad_blocks ]]; then
		error "--ignore-bad-blocks is a restore option (-r)"
		usage_error=1
	fi
	if [[ -n $odometer ]] && ((sanitize != 2)); then
		error "--odometer applies to -ss only"
		usage_error=1
	fi
else
	if ((walk || sanitize || compress || dump_data)); then
		error "using -w, -s, -c, -d options for restore makes no sense"
		usage_error=1
	elif [[ -n $odometer ]]; then
		error "--odometer applies to -ss only"
		usage_error=1
	fi
	if ((multi && dev_cnt < 2)); then
		error "not enough devices specified for -m option"
		usage_error=1
	fi
	if ((!multi && dev_cnt != 1)); then
		error "accepts only 1 device without -m option"
		usage_error=1
	fi
	if ((${#extra_devices[@]})); then
		error "--device names members of a source filesystem: it makes no sense for restore"
		usage_error=1
	fi
	if [[ -n $rescue ]]; then
		error "--rescue is a dump option (restore its image with -r --ignore-bad-blocks)"
		usage_error=1
	fi
	if ((verify)); then
		error "--verify checks a dump or an image (btrfs-image.sh --verify IMAGE); -r checks what it restores"
		usage_error=1
	fi
fi
# each error is one line (the reference follows them with its usage)
((usage_error)) && exit 1

# The reference opens the target before anything else.  We only check that
# it could be created, creating nothing: bimg-pack writes a temporary file
# and renames it, so a failed dump leaves nothing behind, and
# bimg-fixchunks opens its target.
if ((!create)) || [[ $target != - ]]; then
	if [[ -z $target ]]; then
		creatable=0
	elif [[ -e $target ]]; then
		creatable=1
		[[ -d $target || ! -w $target ]] && creatable=0
	else
		target_dir=${target%%+(/)}
		[[ $target_dir == */* ]] && target_dir=${target_dir%/*} || target_dir=.
		target_dir=${target_dir:-/}
		creatable=0
		[[ -d $target_dir && -w $target_dir ]] && creatable=1
	fi
	if ((!creatable)); then
		error "unable to create target file $target"
		exit 1
	fi
fi

# ---- nothing we read is destroyed ----
#
# No mode writes to what it reads: a dump onto one of its source devices,
# a restore onto its image, or onto one target twice, is refused before
# any stage runs.  Names prove nothing (./x, links, /dev/fd/N, a loop
# device over the file), so each name is turned into what it leads to:
# "file:MAJ:MIN:INO" for a regular file, "block:MAJ:MIN" for a block
# device followed by what lsblk lists under it (the disk of a partition,
# the members of a device-mapper or md device) and the file behind each
# loop device among them.  A FIFO, a terminal, a missing name: nothing.

storage_of() { # PATH -> REPLY: the words above, space-separated
	local path=$1 real dev name type back ino words=()
	REPLY=
	# Looked at from a command in $(...), whose standard output is not ours.
	case $path in
	/dev/stdin) path=/proc/$$/fd/0 ;;
	/dev/stdout) path=/proc/$$/fd/1 ;;
	/dev/stderr) path=/proc/$$/fd/2 ;;
	/dev/fd/+([0-9]) | /proc/self/fd/+([0-9])) path=/proc/$$/fd/${path##*/} ;;
	esac
	if [[ -f $path ]]; then
		REPLY=$(stat -L -c 'file:%Hd:%Ld:%i' -- "$path" 2>/dev/null)
		return 0
	fi
	[[ -b $path ]] || return 0
	words=("block:$(stat -L -c '%Hr:%Lr' -- "$path")")
	real=$(readlink -f -- "$path")
	while read -r dev name type; do
		words+=("block:$dev")
		[[ $type == loop ]] || continue
		back=$(losetup --list --noheadings -O BACK-MAJ:MIN,BACK-INO -- "$name" 2>/dev/null) || continue
		read -r dev ino <<<"$back" && [[ -n $ino ]] && words+=("file:$dev:$ino")
	done < <(lsblk --inverse --noheadings --raw --paths -o MAJ:MIN,NAME,TYPE -- "$real" 2>/dev/null)
	REPLY=${words[*]}
}

storage_overlaps() { # WORDS-A WORDS-B: is either one the other or built on it, or both on one file?
	local w first_a=${1%% *} first_b=${2%% *}
	[[ -n $1 && -n $2 ]] || return 1
	[[ " $2 " == *" $first_a "* || " $1 " == *" $first_b "* ]] && return 0
	for w in $1; do
		[[ $w == file:* && " $2 " == *" $w "* ]] && return 0
	done
	return 1
}

# Dump: TARGET against every source device.  Restore: every target against
# the image and against the targets before it.  Exits 1 with one line.
refuse_same_files() { # dump DEVICE... | restore IMAGE TARGET...
	local mode=$1 out out_name image image_name t i j
	shift
	if [[ $mode == dump ]]; then
		if [[ $target == - ]]; then
			storage_of "/proc/$$/fd/1"
			out_name="standard output"
		else
			refuse_dangling_link dump "$target"
			storage_of "$target"
			out_name=$target
		fi
		out=$REPLY
		for t in "$@"; do
			storage_of "$t"
			if storage_overlaps "$out" "$REPLY"; then
				error "refusing to dump to $out_name: it is the source device $t"
				exit 1
			fi
		done
		return 0
	fi
	if [[ $1 == - ]]; then
		storage_of "/proc/$$/fd/0"
		image_name="(standard input)"
	else
		storage_of "$1"
		image_name=$1
	fi
	image=$REPLY
	shift
	local -a names=("$@") ids=() canonical=()
	for ((i = 0; i < ${#names[@]}; i++)); do
		t=${names[i]}
		refuse_dangling_link restore "$t"
		storage_of "$t"
		ids[i]=$REPLY
		canonical[i]=
		[[ -e $t ]] || canonical[i]=$(realpath -m -- "$t")
		if storage_overlaps "${ids[i]}" "$image"; then
			error "refusing to restore to $t: it is the image $image_name"
			exit 1
		fi
		for ((j = 0; j < i; j++)); do
			if storage_overlaps "${ids[i]}" "${ids[j]}" ||
				[[ -n ${canonical[i]} && ${canonical[i]} == "${canonical[j]}" ]]; then
				error "refusing to restore to $t: it is also target ${names[j]}"
				exit 1
			fi
		done
	done
}

# A symlink to nothing would make us create a file the command line does not name.
refuse_dangling_link() { # dump|restore PATH
	if [[ -L $2 && ! -e $2 ]]; then
		error "refusing to $1 to $2: it is a symlink to a missing file"
		exit 1
	fi
}

# A file name that a stage could take for an option or for stdin/stdout.
as_path() { if [[ $1 == -* ]]; then REPLY=./$1; else REPLY=$1; fi; }

# ---- running the stages ----
#
# The stages run as a background job that the wrapper waits for.  Bash runs
# no trap while a foreground pipeline runs, and dies of SIGTERM or SIGHUP at
# once: a signal sent to the wrapper alone (kill PID, a supervisor) would
# leave the stages running without it, still writing the target, or
# publishing the image after the wrapper has reported its death.  Here the
# wrapper passes it on as SIGTERM to every stage (its children): the one
# that writes cleans up and says so (bimg-pack removes its temporary file,
# bimg-fixchunks zeroes its superblocks: "interrupted", exit 1), the others
# die quietly, as they did of a ^C.  (Without job control a background job
# ignores SIGINT and SIGQUIT, which is why SIGTERM is sent.)  SIGPIPE is
# ignored, as by every stage.
stop_stages() {
	local stages=()
	stopping=1
	[[ -n $last_stage ]] || return 0
	# Linux lists a process's children; without the list, the writer alone
	read -r -a stages 2>/dev/null </proc/$$/task/$$/children
	kill -TERM "${stages[@]}" "$last_stage" 2>/dev/null
}

# Before the job starts: a signal from here on stops it.
catch_signals() {
	stopping=0 last_stage=
	trap stop_stages INT TERM HUP QUIT
	trap '' PIPE
}

# The status of the job just started: pipefail's (the last stage that failed).
wait_for_stages() {
	local status
	last_stage=$!
	((stopping)) && stop_stages # a signal before the job had started
	while :; do
		stopping=0
		wait "$last_stage"
		status=$?
		# wait returns early when a trap ran; then the stage is still ending
		((stopping)) || break
	done
	return "$status"
}

# ---- restore ----

if ((!create)); then
	need_stage bimg-unpack
	unpack=$REPLY
	need_stage bimg-fixchunks
	fixchunks=$REPLY
	unpack_args=()
	[[ -n $threads ]] && unpack_args+=(-t "$threads")
	image=-
	[[ $source_arg != - ]] && as_path "$source_arg" && image=$REPLY
	fix_args=()
	((old_restore)) && fix_args+=(-o)
	[[ -n $new_fsid ]] && fix_args+=("$new_fsid")
	refuse_same_files restore "$source_arg" "${positional[@]:1:$((multi ? dev_cnt : 1))}"
	[[ -n $ignore_bad_blocks ]] && fix_args+=("$ignore_bad_blocks")
	targets=()
	for t in "${positional[@]:1:$((multi ? dev_cnt : 1))}"; do as_path "$t" && targets+=("$REPLY"); done
	((multi)) && fix_args+=(-m)
	catch_signals
	BIMG_DOWNSTREAM_REPORTS=1 "$unpack" "${unpack_args[@]}" "$image" <&0 | "$fixchunks" "${fix_args[@]}" "${targets[@]}" &
	wait_for_stages || exit 1
	exit 0
fi

# ---- dump ----

need_stage bimg-scan
scan=$REPLY
need_stage bimg-pack
pack=$REPLY

# Every member device: the reference finds the others by scanning block
# devices for the same fsid; files can only be named with --device.
devices=()
seen_devices=()
add_device() {
	local real=$1 d
	# one device needs no comparing (and no process to resolve its name)
	((${#extra_devices[@]})) || [[ -b $1 ]] && { real=$(readlink -f -- "$1") || real=$1; }
	for d in "${seen_devices[@]}"; do [[ $d == "$real" ]] && return 0; done
	seen_devices+=("$real")
	as_path "$1"
	devices+=("$REPLY")
}
add_device "$source_arg"
if [[ -b $source_arg ]] && command -v blkid >/dev/null; then
	fsid=$(blkid -p -o value -s UUID -- "$source_arg" 2>/dev/null)
	if [[ -n $fsid ]]; then
		while IFS= read -r member; do
			[[ -b $member ]] && add_device "$member"
		done < <(blkid -c /dev/null -t UUID="$fsid" -o device 2>/dev/null)
	fi
fi
for member in "${extra_devices[@]}"; do add_device "$member"; done
refuse_same_files dump "${devices[@]}"

scan_args=()
((walk)) && scan_args+=(-w)
((dump_data)) && scan_args+=(-d)
[[ -n $rescue ]] && scan_args+=("$rescue")
pack_args=(-c "$compress")
[[ -n $threads ]] && pack_args+=(-t "$threads")
# an image that would be incomplete is not made; a --rescue one is made and reported on
((verify)) && pack_args+=(--verify)
if [[ $target == - ]]; then
	pack_args+=(-o -)
else
	as_path "$target"
	pack_args+=(-o "$REPLY")
fi

if ((sanitize)); then
	need_stage bimg-sanitize
	sanitizer=$REPLY
	sanitize_arg=-s
	((sanitize == 2)) && sanitize_arg=-ss
	catch_signals
	BIMG_DOWNSTREAM_REPORTS=1 "$scan" "${scan_args[@]}" "${devices[@]}" <&0 |
		BIMG_DOWNSTREAM_REPORTS=1 "$sanitizer" "$sanitize_arg" $odometer | "$pack" "${pack_args[@]}" &
else
	catch_signals
	BIMG_DOWNSTREAM_REPORTS=1 "$scan" "${scan_args[@]}" "${devices[@]}" <&0 | "$pack" "${pack_args[@]}" &
fi
wait_for_stages
status=$?
# bimg-scan --rescue: 2 when it dumped around damaged blocks; the image is made
# (only bimg-scan exits 2, so pipefail's status tells it)
[[ -n $rescue && $status -eq 2 ]] && exit 2
((status == 0)) || exit 1
exit 0
