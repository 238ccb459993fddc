# Permissions: a non-root user (kernfs mode bits at open) and root without CAP_SYS_ADMIN /
# CAP_SYS_RAWIO (the store functions' own capable() checks). Transcript steps [339]-[363].
## machine: q35

#### non-root: reads work, writes to 0644/0200 files fail at open with EACCES
## user: user
id
cat /sys/kernel/iommu_groups/1/type /sys/kernel/iommu_groups/1/reserved_regions
ls /sys/kernel/iommu_groups/1/devices
echo DMA > /sys/kernel/iommu_groups/1/type
sysfs-write /sys/kernel/iommu_groups/1/type DMA
echo 0000:00:02.0 > /sys/bus/pci/drivers/e1000e/unbind
echo vfio-pci > /sys/bus/pci/devices/0000:00:02.0/driver_override
echo 1 > /sys/kernel/tracing/events/iommu/enable
cat /sys/bus/pci/devices/0000:00:02.0/driver_override
## STDOUT:
uid=1000(user) gid=1000(user) groups=1000(user)
DMA-FQ
0x00000000fee00000 0x00000000feefffff msi
0000:00:02.0
open=-1 errno=13 EACCES (Permission denied)
(null)
## END
## STDERR:
iommush: /sys/kernel/iommu_groups/1/type: Permission denied
iommush: /sys/bus/pci/drivers/e1000e/unbind: Permission denied
iommush: /sys/bus/pci/devices/0000:00:02.0/driver_override: Permission denied
iommush: /sys/kernel/tracing/events/iommu/enable: Permission denied
## END

#### non-root reads only the first 64 bytes of config space
## user: user
wc -c < /sys/bus/pci/devices/0000:01:01.0/config
## STDOUT:
64
## END

#### root reads the whole config space: 4096 bytes for PCIe, 256 for conventional PCI
wc -c < /sys/bus/pci/devices/0000:00:02.0/config
wc -c < /sys/bus/pci/devices/0000:01:01.0/config
## STDOUT:
4096
256
## END

#### chmod 0666 lets the open through; the store's capability check still says EACCES
chmod 0666 /sys/kernel/iommu_groups/1/type
stat -c '%a' /sys/kernel/iommu_groups/1/type
echo 0000:00:02.0 > /sys/bus/pci/devices/0000:00:02.0/driver/unbind
runas 1000 - sysfs-write /sys/kernel/iommu_groups/1/type DMA
runas 1000 - sh -c 'echo DMA > /sys/kernel/iommu_groups/1/type'
cat /sys/kernel/iommu_groups/1/type
## STDOUT:
666
open=ok write(len=3)=-1 errno=13 EACCES (Permission denied)
DMA-FQ
## END
## STDERR:
iommush: echo: write error: Permission denied
## END

#### root without CAP_SYS_ADMIN (21) or CAP_SYS_RAWIO (17): type is EACCES, enable is EPERM
echo 0000:00:02.0 > /sys/bus/pci/devices/0000:00:02.0/driver/unbind
runas - 21 sysfs-write /sys/kernel/iommu_groups/1/type DMA
runas - 17 sysfs-write /sys/kernel/iommu_groups/1/type DMA
runas - 21 sysfs-write /sys/bus/pci/devices/0000:00:02.0/enable 1
cat /sys/kernel/iommu_groups/1/type
sysfs-write /sys/kernel/iommu_groups/1/type DMA
cat /sys/kernel/iommu_groups/1/type
## STDOUT:
open=ok write(len=3)=-1 errno=13 EACCES (Permission denied)
open=ok write(len=3)=-1 errno=13 EACCES (Permission denied)
open=ok write(len=1)=-1 errno=1 EPERM (Operation not permitted)
DMA-FQ
open=ok write(len=3)=3
DMA
## END

#### /proc/cmdline is the kernel command line, and iommu.passthrough=1 makes identity the default
## cmdline: console=ttyS0 iommu.passthrough=1
cat /proc/cmdline
cat /sys/kernel/iommu_groups/1/type
dmesg -t | grep '^iommu: Default domain'
stat -c '%a' /proc/cmdline
echo x > /proc/cmdline
## STDOUT:
console=ttyS0 iommu.passthrough=1
identity
iommu: Default domain type: Passthrough (set via kernel command line)
444
## END
## STDERR:
iommush: /proc/cmdline: Permission denied
## END
## status: 1
