## compare_shells: bash

#### indexed arrays
a=(x "y z" w)
echo ${#a[@]} "${a[1]}" ${a[-1]}
a+=(q)
a[10]=ten
echo "${!a[@]}"
for e in "${a[@]}"; do printf '[%s]' "$e"; done; echo
## STDOUT:
3 y z w
0 1 2 3 10
[x][y z][w][q][ten]
## END

#### associative arrays
declare -A m
m[one]=1
m[two]=2
echo ${#m[@]} ${m[one]} ${m[two]}
[[ -v m[one] ]] && echo has
unset 'm[one]'
echo ${#m[@]}
## STDOUT:
2 1 2
has
1
## END

#### arithmetic command and C for
for ((i = 0; i < 3; i++)); do echo $i; done
(( 2 > 1 )) && echo yes
(( 0 )) || echo zero-false
x=5; (( x += 3, x *= 2 )); echo $x
## STDOUT:
0
1
2
yes
zero-false
16
## END

#### double brackets
x="hello world"
[[ $x == hello* ]] && echo glob
[[ $x =~ ^h(el+)o ]] && echo "${BASH_REMATCH[1]}"
[[ -z "" && ! -n "" ]] && echo empty
[[ 10 -gt 9 ]] && echo num
[[ a < b ]] && echo less
## STDOUT:
glob
ell
empty
num
less
## END

#### substring of $(< file)
printf 'abcdef\n' > f
x=$(< f)
echo ${x:1:3}
## stdout: bcd

#### declare -p and declare -i
declare -i n=5
n+=3
echo $n
declare -a arr=(1 2)
declare -p arr
## STDOUT:
8
declare -a arr=([0]="1" [1]="2")
## END

#### function keyword
function greet { echo "hi $1"; }
function g2() { echo "g2"; }
greet you; g2
## STDOUT:
hi you
g2
## END

#### here string
read a b <<< "x y z"
echo "$a-$b"
## stdout: x-y z

#### read -a and -r
read -r -a parts <<< 'a\b c d'
echo ${#parts[@]} ${parts[0]}
## stdout: 3 a\b

#### PIPESTATUS
true | false | true
echo "${PIPESTATUS[@]}"
## stdout: 0 1 0

#### pipefail
set -o pipefail
false | true
echo $?
## stdout: 1

#### printf -v and %q
printf -v out '%05d' 42
echo $out
printf '%q\n' 'a b'
## STDOUT:
00042
a\ b
## END

#### let and ternary
let 'x = 3 * 4' 'y = x > 10 ? 1 : 0'
echo $x $y
## stdout: 12 1

#### case fallthrough
case a in a) echo one ;& b) echo two ;; c) echo three ;; esac
## STDOUT:
one
two
## END

#### nullglob
shopt -s nullglob
echo start *.nothing end
## stdout: start end

#### string replacement in arrays
a=(one two three)
echo "${a[@]/o/0}"
## stdout: 0ne tw0 three

#### echo -e escapes
echo -e 'a\tb\nc\x41'
## STDOUT:
a	b
cA
## END

#### indirect expansion
name=target; target=value
echo ${!name}
## stdout: value

#### type builtin
type echo
type if
## STDOUT:
echo is a shell builtin
if is a shell keyword
## END

#### local in recursion
fact() { local n=$1; if (( n <= 1 )); then echo 1; else echo $(( n * $(fact $((n-1))) )); fi; }
fact 5
## stdout: 120

#### counting lines with while read over a here-document
n=0
while IFS= read -r line; do n=$((n+1)); done <<EOF
a
b
c
EOF
echo $n
## stdout: 3

#### exit in subshell
(exit 4); echo $?
## stdout: 4

#### group listing loop shape
for g in 3 1 2; do echo "IOMMU Group ${g##*/}:"; done | sort
## STDOUT:
IOMMU Group 1:
IOMMU Group 2:
IOMMU Group 3:
## END
