namespace Mgmt.Yang.Data;

/// <summary>RFC 6243 with-defaults retrieval modes.</summary>
public enum WithDefaultsMode { ReportAll, Trim, Explicit, ReportAllTagged }
