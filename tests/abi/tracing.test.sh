# tracefs for the iommu trace system (include/trace/events/iommu.h, kernel/trace/trace_events.c)
## machine: q35

#### available_events, set_event, per-event and per-system enable
T=/sys/kernel/tracing
grep '^iommu:' $T/available_events | sort
cat $T/set_event
cat $T/events/iommu/enable
echo iommu:map > $T/set_event
cat $T/set_event $T/events/iommu/map/enable $T/events/iommu/unmap/enable $T/events/iommu/enable
echo 'iommu:*' > $T/set_event
cat $T/events/iommu/enable
wc -l < $T/set_event
echo 0 > $T/events/iommu/enable
wc -l < $T/set_event
echo 1 > $T/events/iommu/unmap/enable
cat $T/set_event
echo > $T/set_event
cat $T/events/iommu/unmap/enable
## STDOUT:
iommu:add_device_to_group
iommu:attach_device_to_domain
iommu:io_page_fault
iommu:map
iommu:remove_device_from_group
iommu:unmap
0
iommu:map
1
0
X
1
6
0
iommu:unmap
0
## END

#### enable and set_event errors are EINVAL
T=/sys/kernel/tracing
echo 2 > $T/events/iommu/map/enable; echo "enable 2 -> $?"
echo x > $T/events/iommu/enable; echo "system x -> $?"
echo nosuch:event > $T/set_event; echo "unknown event -> $?"
cat $T/events/iommu/enable
## STDOUT:
enable 2 -> 1
system x -> 1
unknown event -> 1
0
## END
## STDERR:
iommush: echo: write error: Invalid argument
iommush: echo: write error: Invalid argument
iommush: echo: write error: Invalid argument
## END

#### format files: fields and print fmt of the group and map events
T=/sys/kernel/tracing/events/iommu
sed -n '1p;3p;/^$/,$p' $T/add_device_to_group/format
grep 'print fmt' $T/map/format $T/unmap/format $T/io_page_fault/format $T/attach_device_to_domain/format
cat $T/map/id | grep -cE '^[0-9]+$'
## STDOUT:
name: add_device_to_group
format:

	field:int gid;	offset:8;	size:4;	signed:1;
	field:__data_loc char[] device;	offset:12;	size:4;	signed:0;

print fmt: "IOMMU: groupID=%d device=%s", REC->gid, __get_str(device)
/sys/kernel/tracing/events/iommu/map/format:print fmt: "IOMMU: iova=0x%016llx - 0x%016llx paddr=0x%016llx size=%zu", REC->iova, REC->iova + REC->size, REC->paddr, REC->size
/sys/kernel/tracing/events/iommu/unmap/format:print fmt: "IOMMU: iova=0x%016llx - 0x%016llx size=%zu unmapped_size=%zu", REC->iova, REC->iova + REC->size, REC->size, REC->unmapped_size
/sys/kernel/tracing/events/iommu/io_page_fault/format:print fmt: "IOMMU:%s %s iova=0x%016llx flags=0x%04x", __get_str(driver), __get_str(device), REC->iova, REC->flags
/sys/kernel/tracing/events/iommu/attach_device_to_domain/format:print fmt: "IOMMU: device=%s", __get_str(device)
1
## END

#### detach_device_from_domain exists before 6.3 only
## kernel: 6.3
ls /sys/kernel/tracing/events/iommu | grep -c detach
## STDOUT:
0
## END
## status: 1

#### 6.1 still has detach_device_from_domain
## kernel: 6.1
ls -d /sys/kernel/tracing/events/iommu/detach_device_from_domain
## STDOUT:
/sys/kernel/tracing/events/iommu/detach_device_from_domain
## END

#### remove and rescan record remove_device_from_group, add_device_to_group and attach
T=/sys/kernel/tracing
echo 1 > $T/events/iommu/enable
echo 1 > /sys/bus/pci/devices/0000:00:02.0/remove
echo 1 > /sys/bus/pci/rescan
grep -v '^#' $T/trace | sed 's/^.*: \([a-z_]*\): /\1: /'
grep -v '^#' $T/trace | awk '{print $2, $3}' | sort -u
## STDOUT:
remove_device_from_group: IOMMU: groupID=1 device=0000:00:02.0
add_device_to_group: IOMMU: groupID=1 device=0000:00:02.0
attach_device_to_domain: IOMMU: device=0000:00:02.0
[000] .....
## END

#### trace is cleared by a truncating write; trace_pipe consumes
T=/sys/kernel/tracing
echo 1 > $T/events/iommu/remove_device_from_group/enable
echo 1 > /sys/bus/pci/devices/0000:00:03.0/remove
head -1 $T/trace
> $T/trace
grep -vc '^#' $T/trace
echo 1 > /sys/bus/pci/devices/0000:00:04.0/remove
grep -c remove_device_from_group $T/trace_pipe
grep -c remove_device_from_group $T/trace
## STDOUT:
# tracer: nop
0
1
0
## END
## status: 1

#### events carry the writing process as their task
T=/sys/kernel/tracing
echo 1 > $T/events/iommu/enable
echo 1 > /sys/bus/pci/devices/0000:00:02.0/remove
task=$(grep -v '^#' $T/trace | awk '{print $1; exit}')
[ "${task##*-}" = "$$" ] && echo "pid is the shell's" || echo "task is $task"
## STDOUT:
pid is the shell's
## END
