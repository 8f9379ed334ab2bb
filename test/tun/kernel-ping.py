# The kernel's side of the echo test when `ping` is not installed: sends COUNT ICMP echo
# requests to DEST from a raw socket and waits up to 5 s for each reply (a loaded machine may hold
# usernet's process that long), whose ICMP checksum it checks itself. Prints "N received" and
# exits 0 only if every request was answered.
import os, socket, struct, sys, time

def inet_sum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

dest, count = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
ident = os.getpid() & 0xffff
received = 0
for seq in range(1, count + 1):
    payload = b'usernet-tun-test' * 3
    hdr = struct.pack('!BBHHH', 8, 0, 0, ident, seq)
    pkt = struct.pack('!BBHHH', 8, 0, inet_sum(hdr + payload), ident, seq) + payload
    s.sendto(pkt, (dest, 0))
    deadline = time.time() + 5.0
    while time.time() < deadline:
        s.settimeout(max(0.01, deadline - time.time()))
        try:
            data, addr = s.recvfrom(2048)
        except socket.timeout:
            break
        ihl = (data[0] & 15) * 4
        icmp = data[ihl:]
        if len(icmp) < 8 or icmp[0] != 0:
            continue
        _, _, _, rid, rseq = struct.unpack('!BBHHH', icmp[:8])
        if rid == ident and rseq == seq and addr[0] == dest:
            if inet_sum(icmp) != 0:
                print('bad checksum in reply', seq)
                continue
            if icmp[8:] != payload:
                print('payload differs in reply', seq)
                continue
            received += 1
            break
print('%d packets transmitted, %d received' % (count, received))
sys.exit(0 if received == count else 1)
