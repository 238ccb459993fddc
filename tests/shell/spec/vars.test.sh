## compare_shells: bash dash

#### default and alternative values
unset u; e=
echo "${u:-d1} ${u-d2} ${e:-d3} [${e-d4}] ${e:+alt} [${u+alt}]"
## stdout: d1 d2 d3 []  []

#### assign default
unset u
echo ${u:=set}; echo $u
## STDOUT:
set
set
## END

#### error if unset
unset u
echo before
echo ${u:?gone}
echo not reached
## stdout: before
## status: 127
## skip: dash

#### prefix and suffix removal
p=/sys/kernel/iommu_groups/26/devices/0000:06:0d.0
echo ${p##*/} ${p%/*} ${p#/*/} ${p%%/devices*}
## stdout: 0000:06:0d.0 /sys/kernel/iommu_groups/26/devices kernel/iommu_groups/26/devices/0000:06:0d.0 /sys/kernel/iommu_groups/26

#### length
x=hello
echo ${#x}
## stdout: 5

#### positional parameters
set -- a "b c" d
echo $# $1 "$2" $3
for a in "$@"; do echo "<$a>"; done
shift 2
echo $# $1
## STDOUT:
3 a b c d
<a>
<b c>
<d>
1 d
## END

#### dollar star joins with IFS
set -- a b c
IFS=:
echo "$*"
## stdout: a:b:c

#### field splitting on IFS
x="a:b::c"
IFS=:
for f in $x; do echo "[$f]"; done
## STDOUT:
[a]
[b]
[]
[c]
## END

#### whitespace splitting collapses
x="  a   b  "
for f in $x; do echo "[$f]"; done
## STDOUT:
[a]
[b]
## END

#### exit status variable
false; echo $?; true; echo $?
## STDOUT:
1
0
## END

#### ${10}
set -- 1 2 3 4 5 6 7 8 9 ten
echo ${10}
## stdout: ten

#### substring and replacement
x=abcdef
echo ${x:2} ${x:1:3} ${x: -2} ${x/cd/-} ${x//[ace]/.}
## skip: dash
## stdout: cdef bcd ef ab-ef .b.d.f

#### case modification
x=hello
echo ${x^} ${x^^} ${x,,}
## skip: dash
## stdout: Hello HELLO hello

#### temporary assignment does not persist
x=1
x=2 true
echo $x
## stdout: 1

#### unset variable is empty
unset nothing
echo "[$nothing]"
## stdout: []

#### tilde expansion
HOME=/home/x
echo ~ ~/bin "~"
## stdout: /home/x /home/x/bin ~

#### set -u fails on unset
set -u
echo ${nope}
echo not reached
## status: 127
## skip: dash
## stdout-json: ""
