/* Worker threads: poll assigned ports in bursts, run each burst to completion
 * through the pipeline, flush staged transmits, and sleep in poll(2) on the
 * ports' fds after a short idle spin so that an idle usnet uses no CPU.
 *
 * Port lists are changed by the control thread under ports_lock; a worker
 * copies its list when `ports_changed` is set. Device pointers a worker holds
 * stay valid until its next quiescent state (QSBR). */
#include "core/worker.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <urcu-qsbr.h>

#include "core/util.h"
#include "l2/eth.h"
#include "l3/icmp.h"
#include "l3/reasm.h"

/* A worker keeps polling for this long after its last packet before it
 * sleeps: request/response traffic then never pays a thread wake-up, while
 * an idle worker still sleeps within a millisecond. */
#define WORKER_IDLE_SPIN_NS 1000000u
#define WORKER_SLEEP_MS 100

struct worker_cfg {
	unsigned nports;
	struct dev *ports[WORKER_PORTS_MAX];
};

static struct worker workers[WORKER_MAX];
static struct worker_cfg worker_cfgs[WORKER_MAX + 1]; /* + control ctx */
static unsigned nworkers;
static struct worker ctl_ctx;
static bool ctl_ctx_ready;
static pthread_mutex_t ports_lock = PTHREAD_MUTEX_INITIALIZER;

void worker_ctx_init(struct worker *w, unsigned id)
{
	memset(w, 0, sizeof(*w));
	w->id = id;
	w->wake_fd = -1;
	w->epfd = -1;
	w->icmp_rl = icmp_rl_new();
	w->now_ms = time_ms();
}

void worker_ctx_fini(struct worker *w)
{
	for (unsigned i = 0; i < DEV_MAX; i++) {
		struct pkt_vec *v = w->txq[i];
		if (!v)
			continue;
		for (unsigned k = 0; k < v->n; k++)
			pkt_drop_orphan(v->p[k], DROP_DEV_DOWN);
		free(v);
		w->txq[i] = NULL;
	}
	w->ndirty = 0;
	icmp_rl_free(w->icmp_rl);
	w->icmp_rl = NULL;
	reasm_free(w->reasm);
	w->reasm = NULL;
}

struct worker *worker_ctl(void)
{
	if (!ctl_ctx_ready) {
		worker_ctx_init(&ctl_ctx, WORKER_CTL_SLOT);
		ctl_ctx_ready = true;
	}
	return &ctl_ctx;
}

unsigned worker_count(void)
{
	return nworkers;
}

static void tx_flush_dev(struct worker *w, uint32_t ifindex)
{
	struct pkt_vec *v = w->txq[ifindex];
	struct dev *d = dev_get(ifindex);
	uint16_t n = v->n;

	v->n = 0;
	if (!d) {
		for (uint16_t k = 0; k < n; k++)
			pkt_drop_orphan(v->p[k], DROP_DEV_DOWN);
		return;
	}
	dev_xmit(d, v->p, n);
}

void worker_tx(struct worker *w, struct dev *d, struct pkt *p)
{
	struct pkt_vec *v = w->txq[d->ifindex];

	if (unlikely(!v)) {
		v = calloc(1, sizeof(*v));
		if (!v) {
			dev_tx_drop(d, p, DROP_NOMEM);
			return;
		}
		w->txq[d->ifindex] = v;
	}
	if (v->n == 0)
		w->dirty[w->ndirty++] = (uint16_t)d->ifindex;
	v->p[v->n++] = p;
	if (v->n == PKT_MAX_BURST)
		tx_flush_dev(w, d->ifindex); /* stays in the dirty list */
}

void worker_tx_flush(struct worker *w)
{
	for (unsigned i = 0; i < w->ndirty; i++) {
		uint32_t ifindex = w->dirty[i];
		if (w->txq[ifindex]->n)
			tx_flush_dev(w, ifindex);
	}
	w->ndirty = 0;
}

void worker_input(struct worker *w, struct pkt_vec *v)
{
	eth_input(w, v);
}

unsigned worker_poll_once(struct worker *w)
{
	struct pkt_vec v;
	unsigned total = 0;

	w->now_ms = time_ms();
	for (unsigned i = 0; i < w->nports; i++) {
		struct dev *d = w->ports[i];
		if (!__atomic_load_n(&d->oper_up, __ATOMIC_ACQUIRE))
			continue;
		v.n = d->ops->rx_burst(d, v.p, PKT_MAX_BURST);
		if (!v.n)
			continue;
		total += v.n;
		eth_input(w, &v);
	}
	worker_tx_flush(w);
	return total;
}

static void worker_reload_ports(struct worker *w)
{
	struct worker_cfg *c = &worker_cfgs[w->id == WORKER_CTL_SLOT ? WORKER_MAX : w->id];

	pthread_mutex_lock(&ports_lock);
	w->nports = c->nports;
	memcpy(w->ports, c->ports, sizeof(w->ports[0]) * c->nports);
	__atomic_store_n(&w->ports_changed, false, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&ports_lock);
}

/* Block until a port has work, the control thread pokes, or a timeout. */
static void worker_sleep(struct worker *w)
{
	struct pollfd pfd[WORKER_PORTS_MAX + 1];
	nfds_t n = 0;

	pfd[n++] = (struct pollfd){ .fd = w->wake_fd, .events = POLLIN };
	for (unsigned i = 0; i < w->nports; i++) {
		struct dev *d = w->ports[i];
		int fd;
		if (!__atomic_load_n(&d->oper_up, __ATOMIC_ACQUIRE))
			continue;
		fd = d->ops->rx_fd ? d->ops->rx_fd(d) : -1;
		if (fd < 0 && !(d->ops->rx_done && d->ops->rx_done(d)))
			return; /* a port without fd: keep polling */
		if (fd >= 0)
			pfd[n++] = (struct pollfd){ .fd = fd, .events = POLLIN };
	}
	w->idle_sleeps++;
	rcu_thread_offline();
	if (poll(pfd, n, WORKER_SLEEP_MS) > 0 && (pfd[0].revents & POLLIN)) {
		uint64_t x;
		if (read(w->wake_fd, &x, sizeof(x)) < 0 && errno != EAGAIN)
			log_msg(LOG_WARN, "worker %u: wake fd: %s", w->id, strerror(errno));
	}
	rcu_thread_online();
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	uint64_t last_busy = time_ns();

	dev_stat_slot = w->id;
	rcu_register_thread();
	while (!__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
		if (__atomic_load_n(&w->ports_changed, __ATOMIC_ACQUIRE))
			worker_reload_ports(w);
		if (worker_poll_once(w)) {
			last_busy = time_ns();
			w->busy_loops++;
		} else if (time_ns() - last_busy >= WORKER_IDLE_SPIN_NS) {
			worker_sleep(w);
			last_busy = time_ns();
		}
		rcu_quiescent_state();
	}
	worker_ctx_fini(w);
	rcu_unregister_thread();
	pkt_pool_thread_release();
	return NULL;
}

static void worker_wake(struct worker *w)
{
	uint64_t one = 1;
	if (w->wake_fd >= 0 && write(w->wake_fd, &one, sizeof(one)) < 0)
		log_msg(LOG_WARN, "worker %u: wake: %s", w->id, strerror(errno));
}

int worker_start_all(unsigned n)
{
	if (n < 1 || n > WORKER_MAX)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++) {
		struct worker *w = &workers[i];
		worker_ctx_init(w, i);
		w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (w->wake_fd < 0 || !w->icmp_rl)
			return -errno;
		w->ports_changed = true;
		if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
			return -EAGAIN;
		nworkers = i + 1;
	}
	return 0;
}

void worker_stop_all(void)
{
	for (unsigned i = 0; i < nworkers; i++) {
		__atomic_store_n(&workers[i].stop, true, __ATOMIC_RELEASE);
		worker_wake(&workers[i]);
	}
	for (unsigned i = 0; i < nworkers; i++) {
		pthread_join(workers[i].thread, NULL);
		close(workers[i].wake_fd);
	}
	nworkers = 0;
}

/* Index into worker_cfgs: a worker id, or WORKER_MAX for the control
 * context (offline mode, no workers). */
static unsigned cfg_index(int id)
{
	return nworkers ? (unsigned)id : WORKER_MAX;
}

static int worker_least_loaded(void)
{
	int best = 0;
	for (unsigned i = 1; i < nworkers; i++)
		if (worker_cfgs[i].nports < worker_cfgs[best].nports)
			best = (int)i;
	return best;
}

static void worker_notify(int id)
{
	struct worker *w = nworkers ? &workers[id] : worker_ctl();
	__atomic_store_n(&w->ports_changed, true, __ATOMIC_RELEASE);
	if (nworkers)
		worker_wake(w);
	else
		worker_reload_ports(w);
}

int worker_attach_dev(struct dev *d, int id)
{
	struct worker_cfg *c;

	if (id >= (int)(nworkers ? nworkers : 1))
		return -EINVAL;
	if (id < 0)
		id = nworkers ? worker_least_loaded() : 0;
	worker_detach_dev(d);
	c = &worker_cfgs[cfg_index(id)];
	pthread_mutex_lock(&ports_lock);
	if (c->nports == WORKER_PORTS_MAX) {
		pthread_mutex_unlock(&ports_lock);
		return -ENOSPC;
	}
	c->ports[c->nports++] = d;
	d->worker_id = id;
	pthread_mutex_unlock(&ports_lock);
	worker_notify(id);
	return 0;
}

void worker_detach_dev(struct dev *d)
{
	struct worker_cfg *c;
	int id = d->worker_id;

	if (id < 0)
		return;
	c = &worker_cfgs[cfg_index(id)];
	pthread_mutex_lock(&ports_lock);
	for (unsigned i = 0; i < c->nports; i++) {
		if (c->ports[i] == d) {
			c->ports[i] = c->ports[--c->nports];
			break;
		}
	}
	d->worker_id = -1;
	pthread_mutex_unlock(&ports_lock);
	worker_notify(id);
}
