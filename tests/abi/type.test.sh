# Writing /sys/kernel/iommu_groups/N/type (iommu_group_store_type) on 6.3, 6.4 and 6.12, on the
# q35 guest: group 1 = 00:02.0 (e1000e), group 4 = 00:05.0 + 00:05.1 (e1000), group 5 = bridge
# 00:06.0 + 01:01.0 (e1000) + 01:02.0 (virtio-pci) + 01:03.0 (8139cp). Expected results follow
# the 6.1 (pre-6.4 rules) and 6.12 transcripts and kernel.md section 2.
## machine: q35

#### 6.12: every group starts DMA-FQ (lazy); a bound DMA-API driver makes writes EPERM
## kernel: 6.12
t=/sys/kernel/iommu_groups/1/type
cat $t
for v in DMA identity auto DMA-FQ foo; do
  echo $v > $t; echo "$v -> $? $(cat $t)"
done
dmesg -C; echo identity > $t; dmesg -t
## STDOUT:
DMA-FQ
DMA -> 1 DMA-FQ
identity -> 1 DMA-FQ
auto -> 1 DMA-FQ
DMA-FQ -> 1 DMA-FQ
foo -> 1 DMA-FQ
## END
## STDERR:
iommush: echo: write error: Operation not permitted
iommush: echo: write error: Operation not permitted
iommush: echo: write error: Operation not permitted
iommush: echo: write error: Operation not permitted
iommush: echo: write error: Invalid argument
iommush: echo: write error: Operation not permitted
## END

#### 6.12: unbound, every type may be set; auto returns to the global default
## kernel: 6.12
echo 0000:00:02.0 > /sys/bus/pci/devices/0000:00:02.0/driver/unbind
t=/sys/kernel/iommu_groups/1/type
for v in DMA DMA identity DMA-FQ identity auto; do
  echo $v > $t; echo "$v -> $? $(cat $t)"
done
for v in blocked unmanaged dma 'DMA ' DMA_FQ; do
  printf '%s' "$v" > $t; echo "'$v' -> $?"
done 2>/dev/null
printf 'DMA\n' > $t; echo "'DMA\\n' -> $? $(cat $t)"
printf 'DMA\n\n' > $t; echo "'DMA\\n\\n' -> $? $(cat $t)"
## STDOUT:
DMA -> 0 DMA
DMA -> 0 DMA
identity -> 0 identity
DMA-FQ -> 0 DMA-FQ
identity -> 0 identity
auto -> 0 DMA-FQ
'blocked' -> 1
'unmanaged' -> 1
'dma' -> 1
'DMA ' -> 1
'DMA_FQ' -> 1
'DMA\n' -> 0 DMA
'DMA\n\n' -> 1 DMA
## END
## STDERR:
iommush: printf: write error: Invalid argument
## END

#### 6.12: DMA to DMA-FQ is allowed in place with the driver bound, the reverse is not
## kernel: 6.12
t=/sys/kernel/iommu_groups/1/type
echo 0000:00:02.0 > /sys/bus/pci/devices/0000:00:02.0/driver/unbind
echo DMA > $t
echo 0000:00:02.0 > /sys/bus/pci/drivers/e1000e/bind
echo DMA-FQ > $t; echo "DMA-FQ -> $? $(cat $t)"
echo DMA > $t; echo "DMA -> $? $(cat $t)"
## STDOUT:
DMA-FQ -> 0 DMA-FQ
DMA -> 1 DMA-FQ
## END
## STDERR:
iommush: echo: write error: Operation not permitted
## END

#### 6.12: a multi-device group changes type once no DMA-API driver is bound (pcieport-free bridge)
## kernel: 6.12
t=/sys/kernel/iommu_groups/5/type
echo DMA > $t; echo "bound -> $?"
for d in 0000:01:01.0 0000:01:02.0 0000:01:03.0; do
  echo $d > /sys/bus/pci/devices/$d/driver/unbind
done
dmesg -C
echo identity > $t; echo "identity -> $? $(cat $t)"
echo auto > $t; echo "auto -> $? $(cat $t)"
dmesg -t | grep -c iommu
## STDOUT:
bound -> 1
identity -> 0 identity
auto -> 0 DMA-FQ
0
## END
## STDERR:
iommush: echo: write error: Operation not permitted
## END
## status: 1

#### 6.4: multi-device groups may change type; bound drivers give EPERM and no log line
## kernel: 6.4
t=/sys/kernel/iommu_groups/4/type
dmesg -C
echo DMA > $t; echo "bound -> $?"
dmesg -t
echo 0000:00:05.1 > /sys/bus/pci/devices/0000:00:05.1/driver/unbind
echo DMA > $t; echo "one bound -> $?"
echo 0000:00:05.0 > /sys/bus/pci/devices/0000:00:05.0/driver/unbind
echo DMA > $t; echo "unbound -> $? $(cat $t)"
echo DMA-FQ > $t; echo "DMA-FQ -> $? $(cat $t)"
uname -r
## STDOUT:
bound -> 1
one bound -> 1
unbound -> 0 DMA
DMA-FQ -> 0 DMA-FQ
6.4.0-iommush
## END
## STDERR:
iommush: echo: write error: Operation not permitted
iommush: echo: write error: Operation not permitted
## END

#### 6.3: a multi-device group refuses every change with EINVAL and a log line
## kernel: 6.3
t=/sys/kernel/iommu_groups/4/type
echo 0000:00:05.0 > /sys/bus/pci/devices/0000:00:05.0/driver/unbind
echo 0000:00:05.1 > /sys/bus/pci/devices/0000:00:05.1/driver/unbind
dmesg -C
echo DMA > $t; echo "DMA -> $? $(cat $t)"
echo DMA-FQ > $t; echo "DMA-FQ -> $? $(cat $t)"
dmesg -t
## STDOUT:
DMA -> 1 DMA-FQ
DMA-FQ -> 1 DMA-FQ
iommu: Cannot change default domain: Group has more than one device
iommu: Cannot change default domain: Group has more than one device
## END
## STDERR:
iommush: echo: write error: Invalid argument
iommush: echo: write error: Invalid argument
## END

#### 6.3: a bound singleton is EBUSY with a log line, except the in-place DMA to DMA-FQ upgrade
## kernel: 6.3
t=/sys/kernel/iommu_groups/1/type
dmesg -C
echo DMA > $t; echo "bound DMA -> $?"
dmesg -t
echo 0000:00:02.0 > /sys/bus/pci/devices/0000:00:02.0/driver/unbind
echo DMA > $t; echo "unbound DMA -> $? $(cat $t)"
echo 0000:00:02.0 > /sys/bus/pci/drivers/e1000e/bind
dmesg -C
echo DMA-FQ > $t; echo "bound DMA-FQ -> $? $(cat $t)"
echo identity > $t; echo "bound identity -> $? $(cat $t)"
dmesg -t
## STDOUT:
bound DMA -> 1
iommu: Device is still bound to driver
unbound DMA -> 0 DMA
bound DMA-FQ -> 0 DMA-FQ
bound identity -> 1 DMA-FQ
iommu: Device is still bound to driver
## END
## STDERR:
iommush: echo: write error: Device or resource busy
iommush: echo: write error: Device or resource busy
## END

#### 6.3: writing the current type to an unbound singleton succeeds
## kernel: 6.3
t=/sys/kernel/iommu_groups/1/type
echo 0000:00:02.0 > /sys/bus/pci/devices/0000:00:02.0/driver/unbind
for v in DMA-FQ identity identity auto; do
  echo $v > $t; echo "$v -> $? $(cat $t)"
done
## STDOUT:
DMA-FQ -> 0 DMA-FQ
identity -> 0 identity
identity -> 0 identity
auto -> 0 DMA-FQ
## END
