## compare_shells: bash dash

#### if elif else
for x in 1 2 3; do
  if [ $x = 1 ]; then echo one
  elif [ $x = 2 ]; then echo two
  else echo other
  fi
done
## STDOUT:
one
two
other
## END

#### while and until
i=0
while [ $i -lt 3 ]; do i=$((i+1)); done
until [ $i -eq 0 ]; do i=$((i-1)); echo $i; done
## STDOUT:
2
1
0
## END

#### break and continue with levels
for a in 1 2 3; do
  for b in x y z; do
    [ $b = y ] && continue 2
    [ $a = 3 ] && break 2
    echo $a$b
  done
done
echo end
## STDOUT:
1x
2x
end
## END

#### case with alternatives and globs
for w in apple berry cherry 42; do
  case $w in
    a*|b*) echo "ab: $w" ;;
    [0-9]*) echo "num: $w" ;;
    *) echo "other: $w" ;;
  esac
done
## STDOUT:
ab: apple
ab: berry
other: cherry
num: 42
## END

#### for without in uses positional parameters
set -- p q
for x; do echo $x; done
## STDOUT:
p
q
## END

#### and-or lists
true && echo a || echo b
false && echo c || echo d
! true || echo e
## STDOUT:
a
d
e
## END

#### functions and return status
f() { echo "f:$1"; return 7; }
f arg; echo $?
## STDOUT:
f:arg
7
## END

#### subshell does not leak
x=1
( x=2; echo in $x )
echo out $x
## STDOUT:
in 2
out 1
## END

#### brace group shares the shell
x=1
{ x=2; echo in $x; }
echo out $x
## STDOUT:
in 2
out 2
## END

#### pipeline status is the last command's
false | true; echo $?
true | false; echo $?
## STDOUT:
0
1
## END

#### set -e stops at a failing command
set -e
echo before
false
echo after
## stdout: before
## status: 1

#### set -e ignores conditions
set -e
if false; then echo no; fi
false || true
while false; do :; done
echo survived
## stdout: survived

#### exit status of exit
echo a; exit 3; echo b
## stdout: a
## status: 3

#### local variables
x=global
f() { local x=local; echo $x; }
f; echo $x
## STDOUT:
local
global
## END

#### nested command substitution and arithmetic
echo $(( $(echo 3) * 4 ))
## stdout: 12

#### eval
cmd='echo evaluated'
eval "$cmd; echo twice"
## STDOUT:
evaluated
twice
## END

#### here document with expansion and quoting
x=val
cat <<EOF
x=$x
EOF
cat <<'EOF'
x=$x
EOF
## STDOUT:
x=val
x=$x
## END

#### here document with tab stripping
cat <<-EOF
	indented
	EOF
## stdout: indented

#### read splits fields
printf 'a b c\n' | { read x y; echo "$x|$y"; }
## stdout: a|b c

#### read returns 1 at end of file
printf 'last' | { read x; echo "$? $x"; }
## stdout: 1 last

#### while read loop over a file
printf 'one\ntwo\n' > f.txt
while read line; do echo "<$line>"; done < f.txt
## STDOUT:
<one>
<two>
## END

#### redirections and fd duplication
{ echo out; echo err >&2; } 2>&1 > /dev/null
echo x > f1; echo y >> f1; cat f1
## STDOUT:
err
x
y
## END

#### globbing sorted, unmatched stays literal
: > b.txt; : > a.txt; : > c.log
echo *.txt
echo *.none
## STDOUT:
a.txt b.txt
*.none
## END

#### quoted globs do not expand
: > a.txt
echo "*.txt" '*'.txt
## stdout: *.txt *.txt

#### printf reuses the format
printf '%s=%d\n' a 1 b 2
## STDOUT:
a=1
b=2
## END

#### printf widths and conversions
printf '[%5s][%-4s][%03d][%x][%X][%o][%c]\n' ab cd 7 255 255 8 xyz
## stdout: [   ab][cd  ][007][ff][FF][10][x]

#### echo -n
echo -n a; echo b
## stdout: ab

#### getopts
set -- -a -b val rest
while getopts ab: opt; do echo "$opt ${OPTARG-}"; done
shift $((OPTIND-1)); echo "$1"
## STDOUT:
a 
b val
rest
## END

#### trap on exit
trap 'echo bye' EXIT
echo hi
## STDOUT:
hi
bye
## END

#### test operators
[ abc = abc ] && echo eq
[ 3 -lt 10 ] && echo lt
[ -n "x" ] && [ -z "" ] && echo nz
[ ! -e /nonexistent ] && echo missing
[ a = b -o 1 -eq 1 ] && echo or
## STDOUT:
eq
lt
nz
missing
or
## END

#### arithmetic expansion
x=7
echo $((x + 1)) $((x % 3)) $((x / 2)) $((2 * (x - 1))) $((x > 5)) $(( 0x10 )) $(( 010 ))
## stdout: 8 1 3 12 1 16 8

#### command not found status
nonexistent_command_xyz 2>/dev/null
echo $?
## stdout: 127
