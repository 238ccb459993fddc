"""User-space ABI shared by the kernel model and the programs that call it
(``include/uapi/linux``): ioctl numbers and argument structures. Imports nothing."""
