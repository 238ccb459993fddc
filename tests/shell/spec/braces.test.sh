## compare_shells: bash

#### comma lists with a preamble and a postamble
echo a{b,c}d x{1,2,3}
echo {a,b}{1,2}
## STDOUT:
abd acd x1 x2 x3
a1 a2 b1 b2
## END

#### integer sequences, up and down, with a step
echo {1..5} {5..1} {1..10..3} {10..1..4} {1..10..-3}
echo {-2..2} {3..3} {1..3..0}
## STDOUT:
1 2 3 4 5 5 4 3 2 1 1 4 7 10 10 6 2 1 4 7 10
-2 -1 0 1 2 3 1 2 3
## END

#### zero-padded sequences
echo {01..10}
echo {1..003} {-01..01} {09..11}
## STDOUT:
01 02 03 04 05 06 07 08 09 10
001 002 003 -01 000 001 09 10 11
## END

#### letter sequences
echo {a..e} {e..a} {a..k..5} {X..c..3}
## stdout: a b c d e e d c b a a f k X [ ^ a

#### nesting
echo {a,b{1,2},c} {{1..3},x}
echo {a{b,c}} {a,{b}}
## STDOUT:
a b1 b2 c 1 2 3 x
{ab} {ac} a {b}
## END

#### not brace expressions
echo {} {a} a{} {a.b} {1..a} {1..} {a,b x{y}
echo {a..ab} {1...3} {1..2..3..4} {--1..1}
## STDOUT:
{} {a} a{} {a.b} {1..a} {1..} {a,b x{y}
{a..ab} {1...3} {1..2..3..4} {--1..1}
## END

#### unbalanced braces expand what they can
echo {{a,b} {a,b}} {a,b}{c {}{a,b}
## stdout: {a {b a} b} a{c b{c {}a {}b

#### quoting stops brace expansion
echo "{a,b}" '{1..3}' \{a,b} {a,b\} {a,"b,c"} {a,b\,c}
## stdout: {a,b} {1..3} {a,b} {a,b} a b,c a b,c

#### empty alternatives
echo x{,y} [{,}] {,a,}
## stdout: x xy [] [] a

#### brace expansion comes before the other expansions
x=X n=3
echo {$x,y} ${x}{1,2} {1..$n}
echo $x{a,b} .
xa=A xb=B
echo $x{a,b}
## STDOUT:
X y X1 X2 {1..3}
.
A B
## END

#### in for lists and arrays, not in assignments or case
for i in {1..3}; do printf '%s;' "$i"; done; echo
a=({a,b}{1,2}); echo ${#a[@]} "${a[3]}"
v={a,b}; echo "$v"
case b in {a,b}) echo brace;; b) echo plain;; esac
## STDOUT:
1;2;3;
4 b2
{a,b}
plain
## END

#### command name and arguments
{echo,hello} world
## stdout: hello world

#### set +B turns it off
set +B
echo {a,b}
set -B
echo {a,b}
## STDOUT:
{a,b}
a b
## END

#### with globbing afterwards
: >f1; : >f2; : >g1
echo {f,g}*
## stdout: f1 f2 g1
