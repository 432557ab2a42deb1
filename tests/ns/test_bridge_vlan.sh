#!/usr/bin/env bash
# usnet bridge with VLAN filtering (as Linux's
# selftests/net/forwarding/bridge_vlan_aware.sh, usnet as the bridge):
#   p1: VLAN 10 PVID untagged (h1 10.0.0.1)
#   p2: VLAN 20 PVID untagged (h2 10.0.0.2, same subnet, other VLAN)
#   p3: VLAN 10 PVID untagged (h3 10.0.0.3)
#   p4: VLANs 10 and 20 tagged, no PVID (h4: a trunk; scapy sends and
#       sniffs 802.1Q frames there, as this kernel has no 8021q module)
#   br0: VLAN 10 PVID untagged, 10.0.0.254/24
# Checks: same VLAN talks, different VLANs do not (hosts and br0's address);
# learning per VLAN; tagged ARP/ICMP from the trunk get tagged answers from
# the right VLAN only (h1 in 10, h2 in 20, br0 in 10); a trunk broadcast
# reaches an access port untagged; frames of a VLAN the trunk lacks, and
# untagged frames on the trunk, are dropped (br_vlan_filtered);
# conservation on every device.
. "$(dirname "$0")/lib_bridge.sh"
need_env ping tcpdump
"$PY" -c 'import scapy.all' 2>/dev/null || skip "python3-scapy is missing"

br_topo_up "link add br0 type bridge vlan_filtering 1
link set p1 master br0
link set p2 master br0
link set p3 master br0
link set p4 master br0
bridge vlan del dev p1 vid 1
bridge vlan del dev p2 vid 1
bridge vlan del dev p3 vid 1
bridge vlan del dev p4 vid 1
bridge vlan del dev br0 vid 1 self
bridge vlan add dev p1 vid 10 pvid untagged
bridge vlan add dev p2 vid 20 pvid untagged
bridge vlan add dev p3 vid 10 pvid untagged
bridge vlan add dev p4 vid 10
bridge vlan add dev p4 vid 20
bridge vlan add dev br0 vid 10 pvid untagged self
addr add 10.0.0.254/24 dev br0
link set br0 up"

host_addr "$NS_H1" 10.0.0.1/24
host_addr "$NS_H2" 10.0.0.2/24
host_addr "$NS_H3" 10.0.0.3/24
MAC1=$(host_mac "$NS_H1")
MAC2=$(host_mac "$NS_H2")
MAC4=$(host_mac "$NS_H4")
BRMAC=$(usnet_mac br0) || exit 1
ctl bridge vlan show

log "same VLAN (10): h1 <-> h3, and br0's address"
ping_all "$NS_H1" 3 10.0.0.3
ping_all "$NS_H3" 3 10.0.0.1
ping_all "$NS_H1" 3 10.0.0.254
ping_all "$NS_H3" 3 10.0.0.254

log "different VLANs: h2 (20) reaches neither h1, h3 nor br0 (10)"
ping_none "$NS_H2" 10.0.0.1
ping_none "$NS_H2" 10.0.0.3
ping_none "$NS_H2" 10.0.0.254
ping_none "$NS_H1" 10.0.0.2

log "learning per VLAN"
ctl fdb show br br0
[ "$(fdb_port_of "$MAC1" 10)" = p1 ] || fail "h1 not learnt in VLAN 10 on p1"
[ -z "$(fdb_port_of "$MAC1")" ] || fail "h1 learnt without a VLAN on a filtering bridge"
[ "$(fdb_port_of "$MAC2" 20)" = p2 ] || fail "h2 not learnt in VLAN 20 on p2"

log "tagged frames on the trunk (scapy in h4)"
filtered0=$(drops_now br_vlan_filtered)
tcpdump_start "$NS_H3" "$TMPD/h3.txt" arp and ether src "$MAC4"
nsx "$NS_H4" timeout 120 "$PY" - "$MAC1" "$MAC2" "$BRMAC" >"$TMPD/scapy.txt" 2>&1 <<'EOF'
# Each case: send one frame on the trunk, sniff 1.5 s, name what came back.
import sys, time
from scapy.all import (ARP, ICMP, IP, Dot1Q, Ether, AsyncSniffer, conf,
                       get_if_hwaddr, sendp)
conf.verb = 0
IFACE = "eth0"
me = get_if_hwaddr(IFACE)
mac1, mac2, brmac = sys.argv[1], sys.argv[2], sys.argv[3]
bad = []

def exchange(frame, want):
    s = AsyncSniffer(iface=IFACE, store=True,
                     lfilter=lambda p: p.haslayer(Ether) and p[Ether].src != me)
    s.start()
    time.sleep(0.3)
    sendp(frame, iface=IFACE)
    time.sleep(1.5)
    got = [p for p in s.stop() if want(p)]
    return got

def vlan_of(p):
    return p[Dot1Q].vlan if p.haslayer(Dot1Q) else None

def arp_case(name, vlan, pdst, answer_mac, expect_vlan):
    f = Ether(dst="ff:ff:ff:ff:ff:ff", src=me)
    if vlan is not None:
        f = f / Dot1Q(vlan=vlan)
    f = f / ARP(op=1, hwsrc=me, psrc="10.0.0.4", pdst=pdst)
    got = exchange(f, lambda p: p.haslayer(ARP) and p[ARP].op == 2 and
                   p[ARP].psrc == pdst)
    seen = ["%s vlan %s" % (p[ARP].hwsrc, vlan_of(p)) for p in got]
    print("%s: sent vlan %s who-has %s; replies: %s" % (name, vlan, pdst, seen or "none"))
    if expect_vlan is None:
        if got:
            bad.append(name + ": got a reply, expected none")
        return None
    if not got:
        bad.append(name + ": no reply")
        return None
    p = got[0]
    if vlan_of(p) != expect_vlan or p[ARP].hwsrc != answer_mac:
        bad.append("%s: reply from %s in vlan %s, expected %s in vlan %s" %
                   (name, p[ARP].hwsrc, vlan_of(p), answer_mac, expect_vlan))
    return p[ARP].hwsrc

arp_case("h1 via vlan 10", 10, "10.0.0.1", mac1, 10)
arp_case("h2 via vlan 20", 20, "10.0.0.2", mac2, 20)
arp_case("h1 via vlan 20 (wrong vlan)", 20, "10.0.0.1", mac1, None)
arp_case("vlan 30 (not on the trunk)", 30, "10.0.0.1", mac1, None)
arp_case("untagged on the trunk (no pvid)", None, "10.0.0.1", mac1, None)
if arp_case("br0 via vlan 10", 10, "10.0.0.254", brmac, 10):
    f = (Ether(dst=brmac, src=me) / Dot1Q(vlan=10) /
         IP(src="10.0.0.4", dst="10.0.0.254") / ICMP(id=77, seq=1))
    got = exchange(f, lambda p: p.haslayer(ICMP) and p[ICMP].type == 0 and
                   p[ICMP].id == 77)
    print("echo to br0 in vlan 10: replies in vlan %s" % [vlan_of(p) for p in got])
    if not got or vlan_of(got[0]) != 10:
        bad.append("br0: no echo reply tagged 10")
for b in bad:
    print("BAD:", b)
sys.exit(1 if bad else 0)
EOF
rc=$?
tcpdump_stop
sed 's/^/    /' "$TMPD/scapy.txt"
[ $rc = 0 ] || fail "tagged exchanges on the trunk (see above)"
filtered1=$(drops_now br_vlan_filtered)
log "br_vlan_filtered drops: $filtered0 -> $filtered1"
[ "$filtered1" -ge $((filtered0 + 2)) ] ||
	fail "vlan 30 and untagged frames on the trunk were not counted as br_vlan_filtered"

log "h3 (access port of VLAN 10) got the trunk's VLAN 10 broadcasts untagged"
sed 's/^/    h3: /' "$TMPD/h3.txt"
# Of the four who-has 10.0.0.1 (VLAN 10, VLAN 20, VLAN 30, untagged) only
# the VLAN 10 one belongs on h3's port.
n=$(grep -c "Request who-has 10.0.0.1 tell 10.0.0.4" "$TMPD/h3.txt")
[ "$n" = 1 ] || fail "h3 saw $n of h4's ARP requests for 10.0.0.1 (expected the VLAN 10 one only)"
if grep -q "802.1Q" "$TMPD/h3.txt"; then
	fail "h3 received tagged frames"
fi
if grep -q "who-has 10.0.0.2 " "$TMPD/h3.txt"; then
	fail "h3 (VLAN 10) saw h4's VLAN 20 ARP request"
fi

usnet_alive
ctl stats
check_conservation
