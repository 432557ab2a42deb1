/* The command grammar (iproute2-shaped), shared by the config file and the
 * control socket. Control thread. */
#ifndef USNET_CTL_CMD_H
#define USNET_CTL_CMD_H

struct ctl_out;

/* Execute one command given as words. Returns 0, or -1 with a one-line
 * reason in err (size 256). A failing command changes nothing. */
int ctl_exec(int argc, char **argv, struct ctl_out *out, char *err);

/* Split a line into words (whitespace, '#' starts a comment, double quotes
 * group) and execute it; empty lines succeed. */
int ctl_exec_line(const char *line, struct ctl_out *out, char *err);

/* Apply a config file; on the first bad line returns -1 with err set to
 * "FILE:LINE: reason". */
int ctl_load_file(const char *path, char *err, unsigned errlen);

/* Commands owned by a subsystem (bridge `fdb`, `capture` ...), listed in
 * ctl/cmd_ext.c. Same contract as ctl_exec: argv[0] is the command word;
 * 0, or -1 with a one-line reason in err (size 256) and nothing changed. */
typedef int (*ctl_ext_fn)(int argc, char **argv, struct ctl_out *out,
			  char *err);

struct ctl_ext {
	const char *name;
	ctl_ext_fn fn;
	const char *help;       /* one usage line per command */
};

extern const struct ctl_ext ctl_exts[];
extern const unsigned ctl_nexts;

#endif
