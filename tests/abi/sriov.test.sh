# sriov_totalvfs / sriov_numvfs (drivers/pci/iov.c, sriov_numvfs_store, v5.15+) on the desktop
# machine's 82599 PF 0000:03:00.0 (ixgbe, TotalVFs 63, VF offset 0x80 stride 2).
## machine: desktop

#### totalvfs and numvfs read, modes
cd /sys/bus/pci/devices/0000:03:00.0
cat sriov_totalvfs sriov_numvfs
stat -c '%a %n' sriov_totalvfs sriov_numvfs
## STDOUT:
63
0
444 sriov_totalvfs
664 sriov_numvfs
## END

#### enabling VFs adds PCI devices with their own groups, virtfn and physfn links
cd /sys/bus/pci/devices/0000:03:00.0
dmesg -C
echo 2 > sriov_numvfs; echo "2 -> $?"
cat sriov_numvfs
readlink virtfn0 virtfn1
readlink /sys/bus/pci/devices/0000:03:10.2/physfn
readlink /sys/bus/pci/devices/0000:03:10.0/iommu_group /sys/bus/pci/devices/0000:03:10.2/iommu_group
cat /sys/bus/pci/devices/0000:03:10.0/device
dmesg -t | grep 'iommu group'
## STDOUT:
2 -> 0
2
../0000:03:10.0
../0000:03:10.2
../0000:03:00.0
../../../../kernel/iommu_groups/22
../../../../kernel/iommu_groups/23
0x10ed
pci 0000:03:10.0: Adding to iommu group 22
pci 0000:03:10.2: Adding to iommu group 23
## END

#### ERANGE above totalvfs, EBUSY from one non-zero count to another, same count is a no-op
cd /sys/bus/pci/devices/0000:03:00.0
echo 64 > sriov_numvfs; echo "64 -> $?"
echo 2 > sriov_numvfs
dmesg -C
echo 3 > sriov_numvfs; echo "3 -> $?"
echo 2 > sriov_numvfs; echo "2 -> $?"
dmesg -t
cat sriov_numvfs
echo 0 > sriov_numvfs; echo "0 -> $?"
cat sriov_numvfs
ls -d /sys/bus/pci/devices/0000:03:10.0 virtfn0
## STDOUT:
64 -> 1
3 -> 1
2 -> 0
ixgbe 0000:03:00.0: 2 VFs already enabled. Disable before enabling 3 VFs
2
0 -> 0
0
## END
## STDERR:
iommush: echo: write error: Numerical result out of range
iommush: echo: write error: Device or resource busy
ls: cannot access '/sys/bus/pci/devices/0000:03:10.0': No such file or directory
ls: cannot access 'virtfn0': No such file or directory
## END
## status: 2

#### a value kstrtou16 rejects is EINVAL
cd /sys/bus/pci/devices/0000:03:00.0
echo abc > sriov_numvfs; echo "abc -> $?"
echo 0x1 > sriov_numvfs; echo "0x1 -> $? $(cat sriov_numvfs)"
echo 0 > sriov_numvfs
echo +2 > sriov_numvfs; echo "+2 -> $? $(cat sriov_numvfs)"
## STDOUT:
abc -> 1
0x1 -> 0 1
+2 -> 0 2
## END
## STDERR:
iommush: echo: write error: Invalid argument
## END

#### leading blanks are not a number for kstrtou16
cd /sys/bus/pci/devices/0000:03:00.0
echo ' 1' > sriov_numvfs; echo "' 1' -> $? $(cat sriov_numvfs)"
## STDOUT:
' 1' -> 1 0
## END
## STDERR:
iommush: echo: write error: Invalid argument
## END

#### overflowing u16 or negative is EINVAL too (store maps every kstrtou16 error to EINVAL)
cd /sys/bus/pci/devices/0000:03:00.0
echo 65536 > sriov_numvfs; echo "65536 -> $?"
echo -1 > sriov_numvfs; echo "-1 -> $?"
## STDOUT:
65536 -> 1
-1 -> 1
## END
## STDERR:
iommush: echo: write error: Invalid argument
iommush: echo: write error: Invalid argument
## END

#### ENOENT without a driver, and with a driver that has no sriov_configure
cd /sys/bus/pci/devices/0000:03:00.0
echo 0000:03:00.0 > driver/unbind
dmesg -C
echo 1 > sriov_numvfs; echo "unbound -> $?"
echo 0 > sriov_numvfs; echo "unbound 0 -> $?"
modprobe pci-stub
echo pci-stub > driver_override
echo 0000:03:00.0 > /sys/bus/pci/drivers_probe
readlink driver
echo 1 > sriov_numvfs; echo "pci-stub -> $?"
dmesg -t | grep -v 'claimed by stub'
## STDOUT:
unbound -> 1
unbound 0 -> 0
../../../../bus/pci/drivers/pci-stub
pci-stub -> 1
pci 0000:03:00.0: no driver bound to device; cannot configure SR-IOV
pci-stub 0000:03:00.0: driver does not support SR-IOV configuration via sysfs
## END
## STDERR:
iommush: echo: write error: No such file or directory
iommush: echo: write error: No such file or directory
## END
