# Cases that need the virtual tree or iommush's own wording: iommush only.

#### write to a sysfs attribute reaches store once
echo DMA-FQ > /sys/kernel/iommu_groups/1/type
cat /sys/kernel/iommu_groups/1/type
## stdout: DMA-FQ

#### failed write reports write error
echo foo > /sys/kernel/iommu_groups/1/type
echo $?
## stdout: 1
## STDERR:
iommush: echo: write error: Invalid argument
## END

#### read-only attribute: permission denied at open
echo x > /sys/kernel/iommu_groups/1/reserved_regions
echo $?
## stdout: 1
## STDERR:
iommush: /sys/kernel/iommu_groups/1/reserved_regions: Permission denied
## END

#### missing file
cat < /sys/nope
echo $?
## stdout: 1
## STDERR:
iommush: /sys/nope: No such file or directory
## END

#### command not found
nosuchcmd arg
## status: 127
## STDERR:
iommush: nosuchcmd: command not found
## END

#### syntax error
if true; then fi
## status: 2
## STDERR:
iommush: -c: line 1: syntax error near unexpected token `fi'
iommush: -c: line 1: `if true; then fi'
## END

#### globs over the virtual tree, sorted
echo /sys/kernel/iommu_groups/*
for d in /sys/kernel/iommu_groups/1/devices/*; do echo ${d##*/}; done
## STDOUT:
/sys/kernel/iommu_groups/0 /sys/kernel/iommu_groups/1 /sys/kernel/iommu_groups/10 /sys/kernel/iommu_groups/2
0000:00:02.0
## END

#### utilities reached through bin paths
/usr/bin/cat /sys/kernel/iommu_groups/0/type
/sbin/cat /sys/kernel/iommu_groups/0/type
## STDOUT:
DMA
DMA
## END

#### a non-executable script is refused
printf '#!/bin/sh\necho "script $1"\n' > /tmp/try-type
/tmp/try-type arg
echo $?
## stdout: 126
## STDERR:
iommush: /tmp/try-type: Permission denied
## END

#### sh runs a script file with arguments
printf 'echo "script $1 $0 $#"\nexit 3\n' > /tmp/s.sh
sh /tmp/s.sh one two
echo $?
bash -c 'echo "c: $0 $1"' zero first
## STDOUT:
script one /tmp/s.sh 2
3
c: zero first
## END

#### errors inside a script carry its name and line
printf 'echo ok\n\nnosuch\n' > /tmp/e.sh
sh /tmp/e.sh
## stdout: ok
## status: 127
## STDERR:
/tmp/e.sh: line 3: nosuch: command not found
## END

#### internal errors are one line
boom
## status: 70
## STDERR:
iommush: internal error: boom: ZeroDivisionError: division by zero; please report it
## END

#### cd to a symlinked directory keeps the logical path
cd /sys/bus/pci/devices/0000:00:02.0
pwd
pwd -P
cd ..
pwd
## STDOUT:
/sys/bus/pci/devices/0000:00:02.0
/sys/devices/pci0000:00/0000:00:02.0
/sys/bus/pci/devices
## END

#### test -w as root on a read-only attribute follows access(2)
[ -w /sys/kernel/iommu_groups/1/reserved_regions ] && echo writable
[ -r /sys/kernel/iommu_groups/1/type ] && echo readable
## STDOUT:
writable
readable
## END
