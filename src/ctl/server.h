/* Control socket: a unix stream socket serving the command grammar to
 * usnetctl. Runs on the control thread (usnet.c's main loop). */
#ifndef USNET_CTL_SERVER_H
#define USNET_CTL_SERVER_H

/* Listen on path (replacing a stale socket). 0 or -errno with err filled. */
int ctl_server_start(const char *path, char *err);
/* fd to watch for readability (epoll) in the main loop. */
int ctl_server_fd(void);
/* Accept/read/answer whatever is ready; never blocks. */
void ctl_server_handle(void);
void ctl_server_stop(void);

#endif
