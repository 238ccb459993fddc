# /sys/bus/pci/drivers/*/{bind,unbind,new_id,remove_id} and /sys/bus/pci/{drivers_probe,
# drivers_autoprobe,rescan} (drivers/base/bus.c, dd.c, drivers/pci/pci-driver.c) on q35.
## machine: q35

#### driver directory: write-only knobs
stat -c '%a %n' /sys/bus/pci/drivers/vfio-pci/bind /sys/bus/pci/drivers/vfio-pci/unbind /sys/bus/pci/drivers/vfio-pci/new_id /sys/bus/pci/drivers/vfio-pci/remove_id /sys/bus/pci/drivers_probe /sys/bus/pci/drivers_autoprobe /sys/bus/pci/rescan
ls /sys/bus/pci/drivers/e1000e
cat /sys/bus/pci/drivers/e1000e/bind
## STDOUT:
200 /sys/bus/pci/drivers/vfio-pci/bind
200 /sys/bus/pci/drivers/vfio-pci/unbind
200 /sys/bus/pci/drivers/vfio-pci/new_id
200 /sys/bus/pci/drivers/vfio-pci/remove_id
200 /sys/bus/pci/drivers_probe
644 /sys/bus/pci/drivers_autoprobe
200 /sys/bus/pci/rescan
0000:00:02.0
bind
module
new_id
remove_id
uevent
unbind
## END
## STDERR:
cat: /sys/bus/pci/drivers/e1000e/bind: Permission denied
## END
## status: 1

#### bind: ENODEV for an unknown or non-matching device, EBUSY when already bound
cd /sys/bus/pci/drivers
echo 0000:09:00.0 > e1000e/bind; echo "unknown -> $?"
echo 0000:00:02.0 > e1000e/bind; echo "bound -> $?"
echo 0000:00:02.0 > e1000/bind; echo "no match -> $?"
echo 0000:00:02.0 > /sys/bus/pci/devices/0000:00:02.0/driver/unbind
echo 0000:00:02.0 > e1000/bind; echo "no match, unbound -> $?"
echo vfio-pci > /sys/bus/pci/devices/0000:00:02.0/driver_override
echo 0000:00:02.0 > e1000e/bind; echo "override elsewhere -> $?"
echo 0000:00:02.0 > vfio-pci/bind; echo "override here -> $?"
readlink /sys/bus/pci/devices/0000:00:02.0/driver
## STDOUT:
unknown -> 1
bound -> 1
no match -> 1
no match, unbound -> 1
override elsewhere -> 1
override here -> 0
../../../bus/pci/drivers/vfio-pci
## END
## STDERR:
iommush: echo: write error: No such device
iommush: echo: write error: Device or resource busy
iommush: echo: write error: No such device
iommush: echo: write error: No such device
iommush: echo: write error: No such device
## END

#### unbind: ENODEV unless the device is bound to this driver; the driver link goes
cd /sys/bus/pci/drivers
echo 0000:00:02.0 > e1000/unbind; echo "other driver -> $?"
echo 0000:09:00.0 > e1000e/unbind; echo "unknown -> $?"
echo 0000:00:02.0 > e1000e/unbind; echo "bound -> $?"
echo 0000:00:02.0 > e1000e/unbind; echo "again -> $?"
ls e1000e
readlink /sys/bus/pci/devices/0000:00:02.0/driver; echo "link -> $?"
## STDOUT:
other driver -> 1
unknown -> 1
bound -> 0
again -> 1
bind
module
new_id
remove_id
uevent
unbind
link -> 1
## END
## STDERR:
iommush: echo: write error: No such device
iommush: echo: write error: No such device
iommush: echo: write error: No such device
## END

#### new_id: EINVAL under two fields, EEXIST for an ID the driver matches, then it probes
cd /sys/bus/pci/drivers
echo 8086 > vfio-pci/new_id; echo "one field -> $?"
echo 8086 10d3 > e1000e/new_id; echo "static id -> $?"
echo 1234 5678 ffffffff ffffffff 0 0 1 > vfio-pci/new_id; echo "bad driver_data -> $?"
echo 0000:00:02.0 > /sys/bus/pci/devices/0000:00:02.0/driver/unbind
echo 8086 10d3 > vfio-pci/new_id; echo "new -> $?"
echo 8086 10d3 > vfio-pci/new_id; echo "again -> $?"
readlink /sys/bus/pci/devices/0000:00:02.0/driver
ls /dev/vfio
## STDOUT:
one field -> 1
static id -> 1
bad driver_data -> 1
new -> 0
again -> 1
../../../bus/pci/drivers/vfio-pci
1
vfio
## END
## STDERR:
iommush: echo: write error: Invalid argument
iommush: echo: write error: File exists
iommush: echo: write error: Invalid argument
iommush: echo: write error: File exists
## END

#### remove_id: ENODEV without such a dynamic ID, EINVAL under two fields; bound devices stay
cd /sys/bus/pci/drivers
echo 0000:00:02.0 > /sys/bus/pci/devices/0000:00:02.0/driver/unbind
echo 8086 10d3 > vfio-pci/new_id
echo 8086 > vfio-pci/remove_id; echo "one field -> $?"
echo 8086 10d3 > vfio-pci/remove_id; echo "remove -> $?"
echo 8086 10d3 > vfio-pci/remove_id; echo "again -> $?"
readlink /sys/bus/pci/devices/0000:00:02.0/driver
echo 8086 10d3 > vfio-pci/new_id; echo "re-add -> $?"
## STDOUT:
one field -> 1
remove -> 0
again -> 1
../../../bus/pci/drivers/vfio-pci
re-add -> 0
## END
## STDERR:
iommush: echo: write error: Invalid argument
iommush: echo: write error: No such device
## END

#### drivers_probe: ENODEV for an unknown device, binds an unbound one, leaves a bound one
echo 0000:09:00.0 > /sys/bus/pci/drivers_probe; echo "unknown -> $?"
echo 0000:00:02.0 > /sys/bus/pci/drivers_probe; echo "bound -> $?"
echo 0000:00:02.0 > /sys/bus/pci/devices/0000:00:02.0/driver/unbind
echo 0000:00:02.0 > /sys/bus/pci/drivers_probe; echo "unbound -> $?"
readlink /sys/bus/pci/devices/0000:00:02.0/driver
echo 0000:00:00.0 > /sys/bus/pci/drivers_probe; echo "no driver matches -> $?"
## STDOUT:
unknown -> 1
bound -> 0
unbound -> 0
../../../bus/pci/drivers/e1000e
no driver matches -> 0
## END
## STDERR:
iommush: echo: write error: No such device
## END

#### drivers_autoprobe: 0 keeps a rescanned device unbound; drivers_probe still binds it
f=/sys/bus/pci/drivers_autoprobe
cat $f
echo 0 > $f; cat $f
echo 1 > /sys/bus/pci/devices/0000:00:02.0/remove
echo 1 > /sys/bus/pci/rescan
readlink /sys/bus/pci/devices/0000:00:02.0/iommu_group
readlink /sys/bus/pci/devices/0000:00:02.0/driver || echo unbound
echo 0000:00:02.0 > /sys/bus/pci/drivers_probe
readlink /sys/bus/pci/devices/0000:00:02.0/driver
echo x > $f; cat $f
## STDOUT:
1
0
../../../kernel/iommu_groups/1
unbound
../../../bus/pci/drivers/e1000e
1
## END

#### rescan: EINVAL for a non-number; 0 finds nothing
echo 1 > /sys/bus/pci/devices/0000:00:03.0/remove
echo x > /sys/bus/pci/rescan; echo "x -> $?"
echo 0 > /sys/bus/pci/rescan; echo "0 -> $?"
ls -d /sys/bus/pci/devices/0000:00:03.0
echo 1 > /sys/bus/pci/devices/0000:00:00.0/rescan; echo "device rescan -> $?"
readlink /sys/bus/pci/devices/0000:00:03.0/driver
## STDOUT:
x -> 1
0 -> 0
device rescan -> 0
../../../bus/pci/drivers/virtio-pci
## END
## STDERR:
iommush: echo: write error: Invalid argument
ls: cannot access '/sys/bus/pci/devices/0000:00:03.0': No such file or directory
## END
