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

function group(names: string): Counters {
  const c: Counters = {};
  for (const n of names.split(/\s+/)) if (n) c[n] = 0;
  return c;
}

export function createStats(): KernelStats {
  return {
    // Frames the interfaces received but no protocol took (Linux: rx_errors, rx_nohandler).
    link: group('InFrames InErrors InUnknownProtos InOtherHost OutFrames OutDiscards'),
    // ARP and neighbour discovery; ResolveFailed and UnresolvedDiscards as in /proc/net/stat/arp_cache.
    arp: group('InRequests InReplies InErrors InIgnored OutRequests OutReplies ResolveFailed UnresolvedDiscards'),
    ndisc: group('InSolicits InAdverts InErrors InIgnored OutSolicits OutAdverts ResolveFailed UnresolvedDiscards'),
    // /proc/net/snmp "Ip:" plus the IpExt InNoRoutes and the Linux ReasmOverlaps counter.
    ip: group(`InReceives InHdrErrors InAddrErrors ForwDatagrams InUnknownProtos InDiscards
      InDelivers OutRequests OutDiscards OutNoRoutes ReasmTimeout ReasmReqds ReasmOKs ReasmFails
      ReasmOverlaps FragOKs FragFails FragCreates InNoRoutes InCsumErrors InMcastPkts InBcastPkts
      OutMcastPkts OutBcastPkts InTruncatedPkts`),
    // /proc/net/snmp6 "Ip6..." without the prefix.
    ip6: group(`InReceives InHdrErrors InTooBigErrors InNoRoutes InAddrErrors InUnknownProtos
      InTruncatedPkts InDiscards InDelivers OutForwDatagrams OutRequests OutDiscards OutNoRoutes
      ReasmTimeout ReasmReqds ReasmOKs ReasmFails ReasmOverlaps FragOKs FragFails FragCreates
      InMcastPkts OutMcastPkts`),
    icmp: group(`InMsgs InErrors InCsumErrors InDestUnreachs InTimeExcds InParmProbs InSrcQuenchs
      InRedirects InEchos InEchoReps InTimestamps InTimestampReps InAddrMasks InAddrMaskReps
      OutMsgs OutErrors OutRateLimited OutDestUnreachs OutTimeExcds OutParmProbs OutEchos OutEchoReps`),
    icmp6: group(`InMsgs InErrors InCsumErrors InDestUnreachs InPktTooBigs InTimeExcds InParmProblems
      InEchos InEchoReplies InGroupMembQueries InGroupMembResponses InGroupMembReductions
      InRouterSolicits InRouterAdvertisements InNeighborSolicits InNeighborAdvertisements InRedirects
      InMLDv2Reports OutMsgs OutErrors OutRateLimited OutDestUnreachs OutPktTooBigs OutTimeExcds
      OutParmProblems OutEchos OutEchoReplies OutNeighborSolicits OutNeighborAdvertisements
      OutMLDv2Reports OutGroupMembReductions`),
    igmp: group('InMsgs InErrors InQueries InReports InLeaves OutReports OutLeaves'),
  };
}
