/**
 * Cgroup and proc file contents, copied in shape from a cgroup v1 hybrid
 * host (this machine) and a cgroup v2 host (kernel 6.x), for the parser and
 * reader tests.
 */

/** memory.stat of a v1 cgroup (hierarchical totals after the local values). */
export const V1_MEMORY_STAT = `cache 8228864
rss 1789952
rss_huge 0
shmem 0
mapped_file 0
dirty 20480
writeback 0
swap 0
pgpgin 62304
pgpgout 60060
pgfault 97090
pgmajfault 311
inactive_anon 1654784
active_anon 12288
inactive_file 3129344
active_file 5099520
unevictable 0
hierarchical_memory_limit 9223372036854771712
hierarchical_memsw_limit 9223372036854771712
total_cache 18228864
total_rss 41789952
total_rss_huge 0
total_shmem 0
total_mapped_file 0
total_dirty 20480
total_writeback 0
total_swap 0
total_pgpgin 62304
total_pgpgout 60060
total_pgfault 197090
total_pgmajfault 411
total_inactive_anon 1654784
total_active_anon 12288
total_inactive_file 13129344
total_active_file 5099520
total_unevictable 0
`;

/** memory.stat of a v2 cgroup. */
export const V2_MEMORY_STAT = `anon 44040192
file 10485760
kernel 1150976
kernel_stack 65536
pagetables 139264
sec_pagetables 0
percpu 0
sock 0
vmalloc 0
shmem 0
zswap 0
zswapped 0
file_mapped 0
file_dirty 0
file_writeback 0
swapcached 0
anon_thp 0
file_thp 0
shmem_thp 0
inactive_anon 44036096
active_anon 4096
inactive_file 8388608
active_file 2097152
unevictable 0
slab_reclaimable 745472
slab_unreclaimable 176128
slab 921600
workingset_refault_anon 0
workingset_refault_file 0
pgscan 0
pgsteal 0
pgfault 15843
pgmajfault 7
pgrefill 0
pgactivate 0
pgdeactivate 0
pglazyfree 0
pglazyfreed 0
thp_fault_alloc 0
thp_collapse_alloc 0
`;

/** cpu.stat of a v2 cgroup. */
export const V2_CPU_STAT = `usage_usec 2500123
user_usec 2000000
system_usec 500123
core_sched.force_idle_usec 0
nr_periods 0
nr_throttled 0
throttled_usec 0
nr_bursts 0
burst_usec 0
`;

/** /proc/self/mountinfo of a v1 hybrid host (cpu and cpuacct mounted apart). */
export const HYBRID_MOUNTINFO = `24 30 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate
`;

/** /proc/<pid>/cgroup of a container on the hybrid host. */
export const HYBRID_PROC_CGROUP = `9:name=systemd:/kubepods/pod1/ctr
8:pids:/kubepods/pod1/ctr
4:memory:/kubepods/pod1/ctr
2:cpuacct:/kubepods/pod1/ctr
1:cpu:/kubepods/pod1/ctr
0::/kubepods/pod1/ctr
`;

/** /proc/self/mountinfo of a cgroup v2 only host. */
export const V2_MOUNTINFO = `22 28 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw
26 23 0:24 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
`;

/** /proc/<pid>/cgroup on a v2 host with the systemd driver. */
export const V2_PROC_CGROUP = "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice/crikit-abc.scope\n";

/** /proc/<pid>/net/dev of a pod network namespace. */
export const NET_DEV = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:     420       6    0    0    0     0          0         0      420       6    0    0    0     0       0          0
  eth0:  123456     100    2    3    0     0          0         0    65432      80    1    4    0     0       0          0
  net1:    1000      10    0    0    0     0          0         0     2000      20    0    0    0     0       0          0
`;
