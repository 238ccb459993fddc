# PCI device attributes (drivers/pci/pci-sysfs.c, drivers/pci/iov.c) on the q35 guest of the
# conformance transcripts; expected values from the 6.12 Intel snapshot and transcript.
## machine: q35

#### identity attributes: vendor, device, subsystem_*, class, revision, irq, modalias
cd /sys/bus/pci/devices/0000:01:03.0
for f in vendor device subsystem_vendor subsystem_device class revision irq modalias; do
  echo "$f=$(cat $f)"
done
cat /sys/bus/pci/devices/0000:00:1f.2/class /sys/bus/pci/devices/0000:00:1f.2/modalias
## STDOUT:
vendor=0x10ec
device=0x8139
subsystem_vendor=0x1af4
subsystem_device=0x1100
class=0x020000
revision=0x20
irq=21
modalias=pci:v000010ECd00008139sv00001AF4sd00001100bc02sc00i00
0x010601
pci:v00008086d00002922sv00001AF4sd00001100bc01sc06i01
## END

#### read-only attributes refuse writes at open, even for root
cd /sys/bus/pci/devices/0000:00:02.0
echo 0x1234 > vendor
echo 1 > class
echo 0 > irq
cat vendor
## STDOUT:
0x8086
## END
## STDERR:
iommush: vendor: Permission denied
iommush: class: Permission denied
iommush: irq: Permission denied
## END

#### config space: the IDs and header type come from the device
od -A x -t x1 -N 4 /sys/bus/pci/devices/0000:00:02.0/config
od -A x -t x1 -j 8 -N 8 /sys/bus/pci/devices/0000:00:05.0/config
## STDOUT:
000000 86 80 d3 10
000004
000008 03 00 00 02 00 00 80 00
000010
## END

#### enable: the count of pci_enable_device() calls (bound drivers and bridges above them)
cd /sys/bus/pci/devices
for d in 0000:00:00.0 0000:00:02.0 0000:00:06.0 0000:00:07.0 0000:00:1f.2 0000:01:01.0; do
  echo "$d $(cat $d/enable)"
done
## STDOUT:
0000:00:00.0 0
0000:00:02.0 1
0000:00:06.0 1
0000:00:07.0 1
0000:00:1f.2 0
0000:01:01.0 1
## END

#### enable: EBUSY while a driver is bound, EINVAL for a non-number
echo 0 > /sys/bus/pci/devices/0000:00:02.0/enable
echo x > /sys/bus/pci/devices/0000:00:02.0/enable
readlink /sys/bus/pci/devices/0000:00:02.0/driver
## STDOUT:
../../../bus/pci/drivers/e1000e
## END
## STDERR:
iommush: echo: write error: Device or resource busy
iommush: echo: write error: Invalid argument
## END

#### driver_override: (null) when unset, a name when set, cleared by an empty line
f=/sys/bus/pci/devices/0000:00:03.0/driver_override
cat $f
echo vfio-pci > $f
cat $f
printf pci-stub > $f
cat $f
echo > $f
cat $f
printf 'vfio-pci\n' > $f
printf '' > $f
cat $f
printf '\n' > $f
cat $f
readlink /sys/bus/pci/devices/0000:00:03.0/driver
## STDOUT:
(null)
vfio-pci
pci-stub
(null)
vfio-pci
(null)
../../../bus/pci/drivers/virtio-pci
## END

#### driver_override: a page or more is EINVAL and changes nothing
f=/sys/bus/pci/devices/0000:00:03.0/driver_override
echo vfio-pci > $f
sysfs-write $f --repeat 4095 a
sysfs-write $f --repeat 4094 a
cat $f | wc -c
## STDOUT:
open=ok write(len=4095)=-1 errno=22 EINVAL (Invalid argument)
open=ok write(len=4094)=4094
4095
## END

#### reset: only 1 is accepted
cd /sys/bus/pci/devices/0000:00:02.0
echo 1 > reset; echo "1 -> $?"
echo 2 > reset; echo "2 -> $?"
echo 0 > reset; echo "0 -> $?"
echo x > reset; echo "x -> $?"
cat reset
## STDOUT:
1 -> 0
2 -> 1
0 -> 1
x -> 1
## END
## STDERR:
iommush: echo: write error: Invalid argument
iommush: echo: write error: Invalid argument
iommush: echo: write error: Invalid argument
cat: reset: Permission denied
## END
## status: 1

#### remove and rescan: EINVAL for a non-number, 0 does nothing, 1 removes and finds again
cd /sys/bus/pci/devices/0000:00:02.0
echo x > remove; echo "remove x -> $?"
echo 0 > remove; echo "remove 0 -> $?"
echo x > rescan; echo "rescan x -> $?"
ls -d /sys/bus/pci/devices/0000:00:02.0
cd /
dmesg -C
echo 1 > /sys/bus/pci/devices/0000:00:02.0/remove; echo "remove 1 -> $?"
ls -d /sys/bus/pci/devices/0000:00:02.0 /sys/kernel/iommu_groups/1
ls /sys/kernel/iommu_groups
dmesg -t
dmesg -C
echo 1 > /sys/bus/pci/rescan; echo "rescan 1 -> $?"
readlink /sys/bus/pci/devices/0000:00:02.0/iommu_group
dmesg -t | grep 'iommu group'
## STDOUT:
remove x -> 1
remove 0 -> 0
rescan x -> 1
/sys/bus/pci/devices/0000:00:02.0
remove 1 -> 0
0
2
3
4
5
6
7
8
e1000e 0000:00:02.0 eth0: removed PHC
rescan 1 -> 0
../../../kernel/iommu_groups/1
pci 0000:00:02.0: Adding to iommu group 1
## END
## STDERR:
iommush: echo: write error: Invalid argument
iommush: echo: write error: Invalid argument
ls: cannot access '/sys/bus/pci/devices/0000:00:02.0': No such file or directory
ls: cannot access '/sys/kernel/iommu_groups/1': No such file or directory
## END

#### remove: 6.3 logs the release from the group, 6.4 and later do not
## kernel: 6.3
dmesg -C
echo 1 > /sys/bus/pci/devices/0000:02:00.0/remove
dmesg -t
## STDOUT:
pci 0000:02:00.0: Removing from iommu group 8
## END
