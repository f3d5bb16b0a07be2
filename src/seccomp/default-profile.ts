/**
 * crikit's RuntimeDefault seccomp profile, written for this project.
 *
 * Format: a template of OCI seccomp rules, each optionally tied to a
 * capability. `requires` rules apply only when the container's bounding set
 * has that capability (a container granted CAP_SYS_ADMIN may mount, for
 * instance); `unless` rules apply only when it lacks it. The template is
 * also shipped as `src/seccomp/default.json` (same content; a test keeps the
 * two equal).
 *
 * Policy: everything not listed fails with EPERM. Always refused: the
 * kernel keyring (`keyctl`, `add_key`, `request_key`, not namespaced),
 * io_uring (a large kernel attack surface), `userfaultfd`, the new mount
 * API and classic mount calls, namespace creation and joining (`unshare`,
 * `setns`, `clone` with namespace flags) unless CAP_SYS_ADMIN, module
 * loading, kexec and reboot, clock setting, swap and quota control, raw
 * I/O port access, `personality` beyond the standard domains, obsolete
 * calls (`uselib`, `ustat`, `sysfs`, `_sysctl`, `nfsservctl`, `vm86`).
 * `clone3` answers ENOSYS without CAP_SYS_ADMIN, because its flags sit in
 * memory a filter cannot inspect; libcs then fall back to `clone`.
 *
 * @packageDocumentation
 */
import type { OciSeccompAction, OciSeccompArch, OciSeccompArg } from "../spec/index.js";

/**
 * One rule of the default seccomp template.
 *
 * @public
 */
export interface SeccompTemplateRule {
  /** Syscall names the rule covers. */
  names: string[];
  /** Action taken when one of these syscalls is called and all `args` match. */
  action: OciSeccompAction;
  /** errno returned with `SCMP_ACT_ERRNO`, such as 38 (ENOSYS) for `clone3`. @defaultValue EPERM (1) */
  errnoRet?: number;
  /** Conditions on the syscall arguments; all must match. */
  args?: OciSeccompArg[];
  /** Apply only when the container has this capability. */
  requires?: string;
  /** Apply only when the container lacks this capability. */
  unless?: string;
}

/**
 * The default seccomp template (the content of `src/seccomp/default.json`).
 *
 * @public
 */
export interface SeccompTemplate {
  /** Action for syscalls that no applicable rule covers (crikit's template: `SCMP_ACT_ERRNO`). */
  defaultAction: OciSeccompAction;
  /** errno returned by `defaultAction` (crikit's template: 1, EPERM). */
  defaultErrnoRet: number;
  /** Architectures per Node.js `process.arch`. */
  archMap: Record<string, OciSeccompArch[]>;
  /** Rules, each possibly tied to a capability through `requires` or `unless`. */
  syscalls: SeccompTemplateRule[];
}

/** Namespace flags of clone(2): NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET. */
const CLONE_NAMESPACE_FLAGS = 0x00020000 + 0x02000000 + 0x04000000 + 0x08000000 + 0x10000000 + 0x20000000 + 0x40000000;
const ENOSYS = 38;

const allowed: string[] = `
accept accept4 access adjtimex alarm arch_prctl bind brk cachestat capget capset chdir chmod chown chown32
clock_adjtime clock_adjtime64 clock_getres clock_getres_time64 clock_gettime clock_gettime64 clock_nanosleep
clock_nanosleep_time64 close close_range connect copy_file_range creat dup dup2 dup3 epoll_create epoll_create1
epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait epoll_wait_old eventfd eventfd2 execve execveat exit
exit_group faccessat faccessat2 fadvise64 fadvise64_64 fallocate fanotify_mark fchdir fchmod fchmodat fchmodat2
fchown fchown32 fchownat fcntl fcntl64 fdatasync fgetxattr flistxattr flock fork fremovexattr fsetxattr fstat
fstat64 fstatat64 fstatfs fstatfs64 fsync ftruncate ftruncate64 futex futex_requeue futex_time64 futex_wait
futex_waitv futex_wake futimesat get_robust_list get_thread_area getcpu getcwd getdents getdents64 getegid
getegid32 geteuid geteuid32 getgid getgid32 getgroups getgroups32 getitimer getpeername getpgid getpgrp getpid
getppid getpriority getrandom getresgid getresgid32 getresuid getresuid32 getrlimit getrusage getsid getsockname
getsockopt gettid gettimeofday getuid getuid32 getxattr inotify_add_watch inotify_init inotify_init1
inotify_rm_watch io_cancel io_destroy io_getevents io_pgetevents io_pgetevents_time64 io_setup io_submit ioctl
ioprio_get ioprio_set ipc kill landlock_add_rule landlock_create_ruleset landlock_restrict_self lchown lchown32
lgetxattr link linkat listen listxattr llistxattr _llseek lremovexattr lseek lsetxattr lstat lstat64 madvise
map_shadow_stack membarrier memfd_create memfd_secret mincore mkdir mkdirat mknod mknodat mlock mlock2 mlockall
mmap mmap2 modify_ldt mprotect mq_getsetattr mq_notify mq_open mq_timedreceive mq_timedreceive_time64
mq_timedsend mq_timedsend_time64 mq_unlink mremap msgctl msgget msgrcv msgsnd msync munlock munlockall munmap
name_to_handle_at nanosleep newfstatat _newselect open openat openat2 pause pidfd_open pidfd_send_signal pipe
pipe2 pkey_alloc pkey_free pkey_mprotect poll ppoll ppoll_time64 prctl pread64 preadv preadv2 prlimit64
process_mrelease process_vm_readv process_vm_writev pselect6 pselect6_time64 ptrace pwrite64 pwritev pwritev2
read readahead readlink readlinkat readv recv recvfrom recvmmsg recvmmsg_time64 recvmsg remap_file_pages
removexattr rename renameat renameat2 restart_syscall rmdir rseq rt_sigaction rt_sigpending rt_sigprocmask
rt_sigqueueinfo rt_sigreturn rt_sigsuspend rt_sigtimedwait rt_sigtimedwait_time64 rt_tgsigqueueinfo
sched_get_priority_max sched_get_priority_min sched_getaffinity sched_getattr sched_getparam sched_getscheduler
sched_rr_get_interval sched_rr_get_interval_time64 sched_setaffinity sched_setattr sched_setparam
sched_setscheduler sched_yield seccomp select semctl semget semop semtimedop semtimedop_time64 send sendfile
sendfile64 sendmmsg sendmsg sendto set_robust_list set_thread_area set_tid_address setfsgid setfsgid32 setfsuid
setfsuid32 setgid setgid32 setgroups setgroups32 setitimer setpgid setpriority setregid setregid32 setresgid
setresgid32 setresuid setresuid32 setreuid setreuid32 setrlimit setsid setsockopt setuid setuid32 setxattr shmat
shmctl shmdt shmget shutdown sigaltstack signalfd signalfd4 sigprocmask sigreturn socket socketcall socketpair
splice stat stat64 statfs statfs64 statx symlink symlinkat sync sync_file_range syncfs sysinfo tee tgkill time
timer_create timer_delete timer_getoverrun timer_gettime timer_gettime64 timer_settime timer_settime64
timerfd_create timerfd_gettime timerfd_gettime64 timerfd_settime timerfd_settime64 times tkill truncate
truncate64 ugetrlimit umask uname unlink unlinkat utime utimensat utimensat_time64 utimes vfork vmsplice wait4
waitid waitpid write writev
`
  .split(/\s+/)
  .filter((s) => s !== "");

/**
 * crikit's default seccomp template.
 *
 * @public
 */
export const DEFAULT_SECCOMP_TEMPLATE: SeccompTemplate = {
  defaultAction: "SCMP_ACT_ERRNO",
  defaultErrnoRet: 1,
  archMap: {
    x64: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
    arm64: ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"],
    ia32: ["SCMP_ARCH_X86"],
    arm: ["SCMP_ARCH_ARM"],
    ppc64: ["SCMP_ARCH_PPC64LE"],
    s390x: ["SCMP_ARCH_S390X", "SCMP_ARCH_S390"],
    riscv64: ["SCMP_ARCH_RISCV64"],
  },
  syscalls: [
    { names: allowed, action: "SCMP_ACT_ALLOW" },
    {
      names: ["personality"],
      action: "SCMP_ACT_ALLOW",
      args: [{ index: 0, value: 0, op: "SCMP_CMP_EQ" }],
    },
    { names: ["personality"], action: "SCMP_ACT_ALLOW", args: [{ index: 0, value: 8, op: "SCMP_CMP_EQ" }] },
    { names: ["personality"], action: "SCMP_ACT_ALLOW", args: [{ index: 0, value: 131072, op: "SCMP_CMP_EQ" }] },
    { names: ["personality"], action: "SCMP_ACT_ALLOW", args: [{ index: 0, value: 131080, op: "SCMP_CMP_EQ" }] },
    { names: ["personality"], action: "SCMP_ACT_ALLOW", args: [{ index: 0, value: 4294967295, op: "SCMP_CMP_EQ" }] },
    {
      names: ["clone"],
      action: "SCMP_ACT_ALLOW",
      args: [{ index: 0, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: "SCMP_CMP_MASKED_EQ" }],
      unless: "CAP_SYS_ADMIN",
    },
    { names: ["clone3"], action: "SCMP_ACT_ERRNO", errnoRet: ENOSYS, unless: "CAP_SYS_ADMIN" },
    {
      names: [
        "clone", "clone3", "fanotify_init", "fsconfig", "fsmount", "fsopen", "fspick", "lookup_dcookie", "mount",
        "mount_setattr", "move_mount", "open_tree", "pivot_root", "quotactl", "quotactl_fd", "setdomainname",
        "sethostname", "setns", "umount", "umount2", "unshare",
      ],
      action: "SCMP_ACT_ALLOW",
      requires: "CAP_SYS_ADMIN",
    },
    { names: ["chroot"], action: "SCMP_ACT_ALLOW", requires: "CAP_SYS_CHROOT" },
    { names: ["kexec_file_load", "kexec_load", "reboot"], action: "SCMP_ACT_ALLOW", requires: "CAP_SYS_BOOT" },
    { names: ["delete_module", "finit_module", "init_module"], action: "SCMP_ACT_ALLOW", requires: "CAP_SYS_MODULE" },
    { names: ["acct"], action: "SCMP_ACT_ALLOW", requires: "CAP_SYS_PACCT" },
    { names: ["kcmp", "pidfd_getfd", "process_madvise"], action: "SCMP_ACT_ALLOW", requires: "CAP_SYS_PTRACE" },
    { names: ["ioperm", "iopl"], action: "SCMP_ACT_ALLOW", requires: "CAP_SYS_RAWIO" },
    { names: ["clock_settime", "clock_settime64", "settimeofday", "stime"], action: "SCMP_ACT_ALLOW", requires: "CAP_SYS_TIME" },
    { names: ["vhangup"], action: "SCMP_ACT_ALLOW", requires: "CAP_SYS_TTY_CONFIG" },
    {
      names: ["get_mempolicy", "mbind", "migrate_pages", "move_pages", "set_mempolicy", "set_mempolicy_home_node"],
      action: "SCMP_ACT_ALLOW",
      requires: "CAP_SYS_NICE",
    },
    { names: ["syslog"], action: "SCMP_ACT_ALLOW", requires: "CAP_SYSLOG" },
    { names: ["bpf"], action: "SCMP_ACT_ALLOW", requires: "CAP_BPF" },
    { names: ["perf_event_open"], action: "SCMP_ACT_ALLOW", requires: "CAP_PERFMON" },
    { names: ["open_by_handle_at"], action: "SCMP_ACT_ALLOW", requires: "CAP_DAC_READ_SEARCH" },
  ],
};
