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

#### read -t
read -t 0 </dev/null; echo "t0 $?"
{ read -t 0; echo "pipe $?"; read -t 1 z; echo "[$z] $?"; } <<< hi
read -t x q; echo "bad $?"
read -t -1 q; echo "neg $?"
read -t 1.5 w <<< "word"; echo "$w $?"
## STDOUT:
t0 0
pipe 0
[hi] 0
bad 1
neg 1
word 0
## END

#### ERR trap
trap 'echo "ERR $? line $LINENO"' ERR
false
true && false
false || true
if false; then :; fi
f() { false; echo in-f; return 3; }
f
( exit 4 )
! false
echo end
## STDOUT:
ERR 1 line 2
ERR 1 line 3
in-f
ERR 3 line 7
ERR 4 line 8
end
## END

#### ERR trap in functions and subshells with set -E
set -E
trap 'echo E' ERR
f() { false; }
f
(false)
## status: 1
## STDOUT:
E
E
E
E
## END

#### $$ is the same in a subshell, BASHPID is not
a=$$ b=$BASHPID
( [ "$$" = "$a" ] && echo same; [ "$BASHPID" != "$b" ] && echo new )
[ "$BASHPID" = "$b" ] && echo back
## STDOUT:
same
new
back
## END

#### type and declare -f print functions as bash lays them out
f() { echo hi | cat; x=1; for i in a b; do echo $i; done; if a; then b; elif c; then d; else e; fi; while false; do :; done; case $x in a|b) echo y;; *) ;; esac; { g; } > /dev/null; (h); [[ -f x && $y == z ]]; (( i++ )); a && b || c; }; type f; g() ( echo sub ); type g; function h { local x="a b" y=$(echo q); echo "${x:-d}" 's' >&2 2>/dev/null; cat <<EOF
body $x
EOF
}; type h
k() { for ((i=0; i<3; i++)); do :; done; until x; do y; done; }; type k; declare -f k
## STDOUT:
f is a function
f () 
{ 
    echo hi | cat;
    x=1;
    for i in a b;
    do
        echo $i;
    done;
    if a; then
        b;
    else
        if c; then
            d;
        else
            e;
        fi;
    fi;
    while false; do
        :;
    done;
    case $x in 
        a | b)
            echo y
        ;;
        *)

        ;;
    esac;
    { 
        g
    } > /dev/null;
    ( h );
    [[ -f x && $y == z ]];
    (( i++ ));
    a && b || c
}
g is a function
g () 
{ 
    ( echo sub )
}
h is a function
h () 
{ 
    local x="a b" y=$(echo q);
    echo "${x:-d}" 's' 1>&2 2> /dev/null;
    cat <<EOF
body $x
EOF

}
k is a function
k () 
{ 
    for ((i=0; i<3; i++))
    do
        :;
    done;
    until x; do
        y;
    done
}
k () 
{ 
    for ((i=0; i<3; i++))
    do
        :;
    done;
    until x; do
        y;
    done
}
## END
