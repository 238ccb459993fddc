# /dev/vfio through the VFIO user commands (vfio-claim: the conformance helper; vfio attach:
# a held container), and DMA ownership as type writes see it. Machine: the q35 guest.
## machine: q35

#### /dev/vfio/N appears while a device of group N is bound to vfio-pci, and goes on unbind
stat -c '%a %t:%T %n' /dev/vfio/vfio
d=/sys/bus/pci/devices/0000:00:02.0
echo 0000:00:02.0 > $d/driver/unbind
echo vfio-pci > $d/driver_override
echo 0000:00:02.0 > /sys/bus/pci/drivers_probe
ls /dev/vfio
stat -c '%a %n' /dev/vfio/1
echo 0000:00:02.0 > $d/driver/unbind
ls /dev/vfio
## STDOUT:
666 a:c4 /dev/vfio/vfio
1
vfio
600 /dev/vfio/1
vfio
## END

#### a group with a DMA-API driver still bound is not viable: SET_CONTAINER is EPERM
d=0000:01:01.0
echo vfio-pci > /sys/bus/pci/devices/$d/driver_override
echo $d > /sys/bus/pci/devices/$d/driver/unbind
echo $d > /sys/bus/pci/drivers_probe
vfio-claim 5 cat /sys/kernel/iommu_groups/5/type
## STDOUT:
vfio-claim: open(/dev/vfio/vfio)=3
vfio-claim: open(/dev/vfio/5)=4
vfio-claim: VFIO_GROUP_GET_STATUS=0 flags=0x0 (viable=0 container_set=0)
vfio-claim: VFIO_GROUP_SET_CONTAINER=-1 Operation not permitted
## END
## status: 103

#### no group node without a vfio driver
vfio-claim 4 true
## STDOUT:
vfio-claim: open(/dev/vfio/vfio)=3
vfio-claim: open(/dev/vfio/4)=-1 No such file or directory
## END
## status: 102

#### 6.12: a claimed group refuses type writes with EPERM, even DMA to DMA-FQ from DMA
## kernel: 6.12
d=/sys/bus/pci/devices/0000:00:02.0
t=/sys/kernel/iommu_groups/1/type
echo 0000:00:02.0 > $d/driver/unbind
echo DMA > $t
echo vfio-pci > $d/driver_override
echo 0000:00:02.0 > /sys/bus/pci/drivers_probe
vfio attach 1
for v in identity DMA auto DMA-FQ; do echo $v > $t; echo "$v -> $? $(cat $t)"; done
vfio detach 1
echo identity > $t; echo "after detach -> $? $(cat $t)"
## STDOUT:
vfio: group 1 attached (0000:00:02.0); held until 'vfio detach 1'
identity -> 1 DMA
DMA -> 1 DMA
auto -> 1 DMA
DMA-FQ -> 0 DMA-FQ
vfio: group 1 released
after detach -> 0 identity
## END
## STDERR:
iommush: echo: write error: Operation not permitted
iommush: echo: write error: Operation not permitted
iommush: echo: write error: Operation not permitted
## END

#### 6.3: vfio-pci counts as bound (EBUSY); the DMA-FQ upgrade meets the blocking domain
## kernel: 6.3
d=/sys/bus/pci/devices/0000:00:02.0
t=/sys/kernel/iommu_groups/1/type
echo 0000:00:02.0 > $d/driver/unbind
echo DMA > $t
echo vfio-pci > $d/driver_override
echo 0000:00:02.0 > /sys/bus/pci/drivers_probe
vfio attach 1
dmesg -C
for v in identity DMA-FQ foo; do echo $v > $t; echo "$v -> $? $(cat $t)"; done
dmesg -t
vfio detach 1
## STDOUT:
vfio: group 1 attached (0000:00:02.0); held until 'vfio detach 1'
identity -> 1 DMA
DMA-FQ -> 1 DMA
foo -> 1 DMA
iommu: Device is still bound to driver
vfio-pci 0000:00:02.0: Group not assigned to default domain
vfio: group 1 released
## END
## STDERR:
iommush: echo: write error: Device or resource busy
iommush: echo: write error: Device or resource busy
iommush: echo: write error: Invalid argument
## END

#### binding a DMA-API driver into a claimed group is EBUSY
d=0000:00:05.0
for x in 0000:00:05.0 0000:00:05.1; do
  echo vfio-pci > /sys/bus/pci/devices/$x/driver_override
  echo $x > /sys/bus/pci/devices/$x/driver/unbind
done
echo 0000:00:05.0 > /sys/bus/pci/drivers_probe
vfio attach 4
echo > /sys/bus/pci/devices/0000:00:05.1/driver_override
echo 0000:00:05.1 > /sys/bus/pci/drivers/e1000/bind; echo "e1000 -> $?"
echo 0000:00:05.1 > /sys/bus/pci/drivers/pci-stub/bind; echo "pci-stub no id -> $?"
echo pci-stub > /sys/bus/pci/devices/0000:00:05.1/driver_override
echo 0000:00:05.1 > /sys/bus/pci/drivers/pci-stub/bind; echo "pci-stub -> $?"
vfio detach 4
## STDOUT:
vfio: group 4 attached (0000:00:05.0 0000:00:05.1); held until 'vfio detach 4'
e1000 -> 1
pci-stub no id -> 1
pci-stub -> 0
vfio: group 4 released
## END
## STDERR:
iommush: echo: write error: Device or resource busy
iommush: echo: write error: No such device
## END

#### the debugfs view: one directory per DMA domain, with its group and policy
ls /sys/kernel/debug/iommu
for d in /sys/kernel/debug/iommu/dma/[0-9]*; do
  [ "$(readlink $d/group)" = ../../../../iommu_groups/1 ] && dom=$d
done
ls $dom
grep -E '^(type|group|devices|granule|policy):' $dom/info
echo 0000:00:02.0 > /sys/bus/pci/devices/0000:00:02.0/driver/unbind
echo identity > /sys/kernel/iommu_groups/1/type
[ -d $dom ] || echo "identity: no DMA domain directory"
ls /sys/kernel/debug/iommu/dma | grep -c '^[0-9]'
## STDOUT:
dma
flush_queue
group
info
iova
mappings
type: DMA-FQ
group: 1
devices: 0000:00:02.0
granule: 4096
policy: lazy (flush queue: 0 of 255 pending)
identity: no DMA domain directory
8
## END

#### the debugfs view names domains the same way after a reset to the boot state
ls /sys/kernel/debug/iommu/dma | head -1
reset >/dev/null
ls /sys/kernel/debug/iommu/dma | head -1
## STDOUT:
1
1
## END
