# /sys/kernel/iommu_groups/N/{type,reserved_regions,devices/*,name}, the device links
# iommu_group / iommu / driver, and /sys/class/iommu (kernel.md sections 1.1 to 1.4).
## machine: q35

#### group directory: modes, devices links, no name file without a named group
ls /sys/kernel/iommu_groups/5
stat -c '%a %n' /sys/kernel/iommu_groups/5/type /sys/kernel/iommu_groups/5/reserved_regions
ls /sys/kernel/iommu_groups/5/devices
readlink /sys/kernel/iommu_groups/5/devices/0000:00:06.0 /sys/kernel/iommu_groups/5/devices/0000:01:02.0
cat /sys/kernel/iommu_groups/5/name
## STDOUT:
devices
reserved_regions
type
644 /sys/kernel/iommu_groups/5/type
444 /sys/kernel/iommu_groups/5/reserved_regions
0000:00:06.0
0000:01:01.0
0000:01:02.0
0000:01:03.0
../../../../devices/pci0000:00/0000:00:06.0
../../../../devices/pci0000:00/0000:00:06.0/0000:01:02.0
## END
## STDERR:
cat: /sys/kernel/iommu_groups/5/name: No such file or directory
## END
## status: 1

#### device links: iommu_group, iommu and driver, relative to the device's depth
cd /sys/bus/pci/devices
readlink 0000:00:02.0/iommu_group 0000:01:01.0/iommu_group 0000:00:02.0/iommu 0000:01:01.0/iommu
readlink 0000:01:03.0/driver 0000:00:06.0/driver || echo "00:06.0: no driver"
readlink -f 0000:01:01.0/iommu_group
## STDOUT:
../../../kernel/iommu_groups/1
../../../../kernel/iommu_groups/5
../../virtual/iommu/dmar0
../../../virtual/iommu/dmar0
../../../../bus/pci/drivers/8139cp
00:06.0: no driver
/sys/kernel/iommu_groups/5
## END

#### reserved_regions on the q35 guest: the MSI window, plus the ISA floppy window for 00:1f.0
cat /sys/kernel/iommu_groups/1/reserved_regions
cat /sys/kernel/iommu_groups/7/reserved_regions
## STDOUT:
0x00000000fee00000 0x00000000feefffff msi
0x0000000000000000 0x0000000000ffffff direct-relaxable
0x00000000fee00000 0x00000000feefffff msi
## END

#### reserved_regions: RMRRs of one range but different types stay separate, direct first
## machine: xeon
cat /sys/kernel/iommu_groups/29/reserved_regions
## STDOUT:
0x00000000000f4000 0x00000000000f5fff direct
0x00000000000f4000 0x00000000000f5fff direct-relaxable
0x00000000bdf6e000 0x00000000bdf7efff direct
0x00000000bdf6e000 0x00000000bdf7efff direct-relaxable
0x00000000fee00000 0x00000000feefffff msi
## END

#### reserved_regions: an iGPU RMRR is direct-relaxable (desktop)
## machine: desktop
cat /sys/kernel/iommu_groups/2/reserved_regions
## STDOUT:
0x000000007b800000 0x000000007f7fffff direct-relaxable
0x00000000fee00000 0x00000000feefffff msi
## END

#### AMD-Vi: the HyperTransport hole is reserved, groups start DMA in a VM, ivhd0 under its PCI function
## machine: q35-amd
cat /sys/kernel/iommu_groups/1/reserved_regions /sys/kernel/iommu_groups/1/type
ls /sys/class/iommu
readlink /sys/class/iommu/ivhd0
## STDOUT:
0x00000000fee00000 0x00000000feefffff msi
0x000000fd00000000 0x000000ffffffffff reserved
DMA
ivhd0
../../devices/pci0000:00/0000:00:01.0/iommu/ivhd0
## END

#### SMMUv3: the software MSI window
## machine: arm64
cat /sys/kernel/iommu_groups/0/reserved_regions
ls /sys/class/iommu
## STDOUT:
0x0000000008000000 0x00000000080fffff msi
smmu3.0x0000000005000000
## END

#### /sys/class/iommu: the unit, its devices links and the intel-iommu attributes
ls -l /sys/class/iommu | sed -n 2p | awk '{print $1, $9, $10, $11}'
ls /sys/class/iommu/dmar0
readlink /sys/class/iommu/dmar0/devices/0000:01:01.0
ls /sys/class/iommu/dmar0/devices | wc -l
for f in /sys/class/iommu/dmar0/intel-iommu/*; do echo "${f##*/}=$(cat $f)"; done
## STDOUT:
lrwxrwxrwx dmar0 -> ../../devices/virtual/iommu/dmar0
devices
intel-iommu
power
subsystem
uevent
../../../../pci0000:00/0000:00:06.0/0000:01:01.0
15
address=fed90000
cap=d2008c22260206
domains_supported=65536
domains_used=11
ecap=f00f4a
version=1:0
## END

#### a removed device leaves its group and the unit's devices; the group goes with its last device
echo 1 > /sys/bus/pci/devices/0000:01:03.0/remove
ls /sys/kernel/iommu_groups/5/devices
ls /sys/class/iommu/dmar0/devices | grep -c 01:03.0
echo 1 > /sys/bus/pci/devices/0000:02:00.0/remove
ls /sys/kernel/iommu_groups | sort -n | tr '\n' ' '; echo
## STDOUT:
0000:00:06.0
0000:01:01.0
0000:01:02.0
0
0 1 2 3 4 5 6 7 
## END
