// Protocol counters, named as Linux names them in /proc/net/snmp, /proc/net/snmp6 and
// /proc/net/netstat (what `netstat -s` and `nstat` print). Every dropped packet is counted
// somewhere here. Transports add their own groups (stats.udp, stats.tcp).

export type Counters = Record<string, number>;
export type KernelStats = Record<string, Counters> & {
  link: Counters;
  arp: Counters;
  ip: Counters;
  ip6: Counters;
  icmp: Counters;
  icmp6: Counters;
  igmp: Counters;
  ndisc: Counters;
};

/**
 * A maker of zeroed counter groups with the given names. Each group is a copy of one template
 * (one hidden class per group, fields in the object): built name by name, an object of this many
 * properties would fall into V8's dictionary mode, several times larger and slower to count in.
 */
export function counterGroup(names: string): () => Counters {
  const c: Counters = {};
  for (const n of names.split(/\s+/)) if (n) c[n] = 0;
  const template: Counters = { ...c };
  return () => ({ ...template });
}

const groups = {
  // Frames the interfaces received but no protocol took (Linux: rx_errors, rx_nohandler).
  link: counterGroup('InFrames InErrors InUnknownProtos InOtherHost OutFrames OutDiscards'),
  // ARP and neighbour discovery; ResolveFailed, UnresolvedDiscards and TableFulls as in /proc/net/stat/arp_cache.
  arp: counterGroup('InRequests InReplies InErrors InIgnored OutRequests OutReplies ResolveFailed UnresolvedDiscards TableFulls'),
  ndisc: counterGroup('InSolicits InAdverts InErrors InIgnored OutSolicits OutAdverts ResolveFailed UnresolvedDiscards TableFulls'),
  // /proc/net/snmp "Ip:" plus the IpExt InNoRoutes and the Linux ReasmOverlaps counter.
  ip: counterGroup(`InReceives InHdrErrors InAddrErrors ForwDatagrams InUnknownProtos InDiscards
    InDelivers OutRequests OutDiscards OutNoRoutes ReasmTimeout ReasmReqds ReasmOKs ReasmFails
    ReasmOverlaps FragOKs FragFails FragCreates InNoRoutes InCsumErrors InMcastPkts InBcastPkts
    OutMcastPkts OutBcastPkts InTruncatedPkts`),
  // /proc/net/snmp6 "Ip6..." without the prefix.
  ip6: counterGroup(`InReceives InHdrErrors InTooBigErrors InNoRoutes InAddrErrors InUnknownProtos
    InTruncatedPkts InDiscards InDelivers OutForwDatagrams OutRequests OutDiscards OutNoRoutes
    ReasmTimeout ReasmReqds ReasmOKs ReasmFails ReasmOverlaps FragOKs FragFails FragCreates
    InMcastPkts OutMcastPkts`),
  icmp: counterGroup(`InMsgs InErrors InCsumErrors InDestUnreachs InTimeExcds InParmProbs InSrcQuenchs
    InRedirects InEchos InEchoReps InTimestamps InTimestampReps InAddrMasks InAddrMaskReps
    OutMsgs OutErrors OutRateLimited OutDestUnreachs OutTimeExcds OutParmProbs OutEchos OutEchoReps`),
  icmp6: counterGroup(`InMsgs InErrors InCsumErrors InDestUnreachs InPktTooBigs InTimeExcds InParmProblems
    InEchos InEchoReplies InGroupMembQueries InGroupMembResponses InGroupMembReductions
    InRouterSolicits InRouterAdvertisements InNeighborSolicits InNeighborAdvertisements InRedirects
    InMLDv2Reports OutMsgs OutErrors OutRateLimited OutDestUnreachs OutPktTooBigs OutTimeExcds
    OutParmProblems OutEchos OutEchoReplies OutNeighborSolicits OutNeighborAdvertisements
    OutMLDv2Reports OutGroupMembReductions`),
  igmp: counterGroup('InMsgs InErrors InQueries InReports InLeaves OutReports OutLeaves'),
};

export function createStats(): KernelStats {
  return {
    link: groups.link(), arp: groups.arp(), ndisc: groups.ndisc(), ip: groups.ip(), ip6: groups.ip6(),
    icmp: groups.icmp(), icmp6: groups.icmp6(), igmp: groups.igmp(),
  };
}
