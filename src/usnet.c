/* usnet daemon: applies a config file, starts the workers and serves the
 * control socket; timers (neighbor aging/retries) run on this thread.
 * With --offline it runs the pipeline on this thread over ports that need no
 * privileges (pcap, gen, null) until their inputs are exhausted, then exits. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <urcu-qsbr.h>

#include "core/util.h"
#include "core/worker.h"
#include "ctl/cmd.h"
#include "ctl/server.h"
#include "dev/dev.h"
#include "fib/fib.h"
#include "fib/fib_exc.h"
#include "l2/bond.h"
#include "l2/bridge.h"
#include "l2/neigh.h"
#include "l3/l3_init.h"

#define TIMER_MS 100

struct usnet_opts {
	const char *config;
	const char *ctl_path;
	unsigned workers;
	bool offline;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: usnet -c FILE [--ctl PATH] [--workers N] [--offline] [-v]\n"
		"  -c, --config FILE   commands to apply at start (one per line, # comments)\n"
		"  --ctl PATH          control socket (default /run/usnet.sock)\n"
		"  --workers N         worker threads polling ports (default 1, max %u)\n"
		"  --offline           run the pipeline on ports of type pcap/gen/null until\n"
		"                      their inputs end, then exit (no privileges needed)\n",
		WORKER_MAX);
}

static int parse_opts(int argc, char **argv, struct usnet_opts *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "ctl", required_argument, NULL, 's' },
		{ "workers", required_argument, NULL, 'w' },
		{ "offline", no_argument, NULL, 'o' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct usnet_opts){ .ctl_path = "/run/usnet.sock", .workers = 1 };
	while ((c = getopt_long(argc, argv, "c:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case 's':
			o->ctl_path = optarg;
			break;
		case 'w': {
			char *end;
			unsigned long n = strtoul(optarg, &end, 10);
			if (*end || n < 1 || n > WORKER_MAX) {
				fprintf(stderr, "usnet: --workers: expected 1..%u, got '%s'\n",
					WORKER_MAX, optarg);
				return -1;
			}
			o->workers = (unsigned)n;
			break;
		}
		case 'o':
			o->offline = true;
			break;
		case 'v':
			log_verbosity = LOG_DEBUG;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "usnet: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (!o->config) {
		usage(stderr);
		return -1;
	}
	return 0;
}

static bool offline_inputs_done(void)
{
	for (struct dev *d = dev_next(NULL); d; d = dev_next(d))
		if (d->oper_up && !(d->ops->rx_done && d->ops->rx_done(d)))
			return false;
	return true;
}

static void run_offline(void)
{
	struct worker *w = worker_ctl();

	while (!offline_inputs_done()) {
		worker_poll_once(w);
		neigh_timer(w, w->now_ms);
		bond_timer(w->now_ms);
		bridge_timer(w->now_ms);
		worker_tx_flush(w);
		rcu_quiescent_state();
	}
	worker_poll_once(w); /* drain what the last burst produced */
}

static int add_fd(int ep, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static int run_online(int sfd)
{
	struct itimerspec its = { { 0, TIMER_MS * 1000000L }, { 0, TIMER_MS * 1000000L } };
	int ep = epoll_create1(EPOLL_CLOEXEC);
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	struct worker *w = worker_ctl();
	bool stop = false;

	if (ep < 0 || tfd < 0 || timerfd_settime(tfd, 0, &its, NULL) < 0 ||
	    add_fd(ep, tfd) < 0 || add_fd(ep, sfd) < 0 ||
	    add_fd(ep, ctl_server_fd()) < 0) {
		log_msg(LOG_ERR, "main loop setup: %s", strerror(errno));
		return -1;
	}
	while (!stop) {
		struct epoll_event ev[8];
		int n;

		rcu_thread_offline(); /* blocking: not an RCU reader meanwhile */
		n = epoll_wait(ep, ev, 8, -1);
		rcu_thread_online();
		if (n < 0 && errno == EINTR)
			continue;
		for (int i = 0; i < n; i++) {
			int fd = ev[i].data.fd;
			uint64_t x;
			if (fd == tfd) {
				if (read(tfd, &x, sizeof(x)) < 0 && errno != EAGAIN)
					log_msg(LOG_WARN, "timer: %s", strerror(errno));
				w->now_ms = time_ms();
				neigh_timer(w, w->now_ms);
				bond_timer(w->now_ms);
				bridge_timer(w->now_ms);
				fib_exc_expire(w->now_ms);
			} else if (fd == sfd) {
				stop = true;
			} else {
				ctl_server_handle();
			}
		}
		worker_tx_flush(w);
	}
	close(tfd);
	close(ep);
	return 0;
}

static void shutdown_all(void)
{
	worker_stop_all();
	for (struct dev *d = dev_next(NULL); d; d = dev_next(d))
		worker_detach_dev(d);
	neigh_fini();
	fib_exc_fini();
	fib_fini();
	dev_destroy_all();
	worker_ctx_fini(worker_ctl());
	pkt_pool_thread_release();
	if (pkt_pool_outstanding())
		log_msg(LOG_WARN, "%llu packets still allocated at exit",
			(unsigned long long)pkt_pool_outstanding());
}

int main(int argc, char **argv)
{
	struct usnet_opts o;
	char err[512];
	sigset_t mask;
	int sfd, rc = 0;

	if (parse_opts(argc, argv, &o) < 0)
		return 2;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL); /* workers inherit the mask */
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	rcu_register_thread(); /* the control thread reads RCU data too */
	if (sfd < 0 || fib_init() < 0 || fib_exc_init() < 0 || neigh_init() < 0) {
		log_msg(LOG_ERR, "initialisation failed");
		return 1;
	}
	worker_ctl();
	l3_init();
	if (!o.offline && (rc = worker_start_all(o.workers)) < 0) {
		log_msg(LOG_ERR, "cannot start workers: %s", strerror(-rc));
		return 1;
	}
	if (ctl_load_file(o.config, err, sizeof(err)) < 0) {
		fprintf(stderr, "usnet: %s\n", err);
		shutdown_all();
		rcu_unregister_thread();
		return 1;
	}
	if (o.offline) {
		run_offline();
	} else if (ctl_server_start(o.ctl_path, err) < 0) {
		fprintf(stderr, "usnet: %s\n", err);
		rc = 1;
	} else {
		log_msg(LOG_INFO, "running: %u worker(s), control socket %s",
			o.workers, o.ctl_path);
		rc = run_online(sfd) < 0 ? 1 : 0;
		ctl_server_stop();
	}
	shutdown_all();
	close(sfd);
	rcu_unregister_thread();
	return rc;
}
