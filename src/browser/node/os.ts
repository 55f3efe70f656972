/**
 * `node:os` in the browser build: the errno numbers zeromq.js reports (errors.ts reads them), as on
 * Linux, the platform libzmq's numbers are usually compared on; and a tmpdir that no ipc path ever
 * reaches (tcp:// and ipc:// are refused in a page, browser/endpoint.ts).
 */
export const constants = {
  errno: {
    EPERM: 1, ENOENT: 2, EINTR: 4, EBADF: 9, EAGAIN: 11, EACCES: 13, EFAULT: 14, EBUSY: 16, ENODEV: 19, ENOTDIR: 20,
    EINVAL: 22, ENFILE: 23, EMFILE: 24, EPIPE: 32, ENAMETOOLONG: 36, ENOTSOCK: 88, EMSGSIZE: 90, EPROTONOSUPPORT: 93,
    ENOTSUP: 95, EAFNOSUPPORT: 97, EADDRINUSE: 98, EADDRNOTAVAIL: 99, ENETDOWN: 100, ENETUNREACH: 101,
    ECONNABORTED: 103, ECONNRESET: 104, ENOBUFS: 105, ENOTCONN: 107, ETIMEDOUT: 110, ECONNREFUSED: 111,
    EHOSTUNREACH: 113, ECANCELED: 125,
  } as Record<string, number>,
}

export function tmpdir(): string {
  return "/tmp"
}
