## compare_shells: bash dash

#### single and double quotes
x=world
echo 'a $x' "b $x" c\ d "e\"f" 'g\h'
## stdout: a $x b world c d e"f g\h

#### backslash-newline continues a line
echo one \
  two
## stdout: one two

#### comments
echo a # not printed
echo b#c
## STDOUT:
a
b#c
## END

#### empty quotes make an empty word
set -- "" '' x
echo $#
## stdout: 3

#### quotes inside command substitution
echo "$(echo "inner quoted")"
## stdout: inner quoted

#### backticks
echo `echo back tick`
## stdout: back tick

#### dollar-single quotes
echo $'a\tb\x41\n' | tr '\t' T
## skip: dash
## STDOUT:
aTbA

## END

#### escaped dollar in double quotes
echo "\$HOME \\ \`"
## stdout: $HOME \ `
