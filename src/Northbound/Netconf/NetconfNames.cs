namespace Mgmt.Northbound.Netconf;

/// <summary>Namespaces and capability URIs of NETCONF (RFC 6241 §8, RFC 6243, RFC 6022).</summary>
public static class NetconfNames
{
    public const string BaseNs = "urn:ietf:params:xml:ns:netconf:base:1.0";
    public const string MonitoringNs = "urn:ietf:params:xml:ns:yang:ietf-netconf-monitoring";
    public const string WithDefaultsNs = "urn:ietf:params:xml:ns:yang:ietf-netconf-with-defaults";

    /// <summary>The YANG namespace of RFC 7950 (action element, insert/key/value attributes).</summary>
    public const string YangNs = "urn:ietf:params:xml:ns:yang:1";

    public const string Base10 = "urn:ietf:params:netconf:base:1.0";
    public const string Base11 = "urn:ietf:params:netconf:base:1.1";
    public const string WritableRunning = "urn:ietf:params:netconf:capability:writable-running:1.0";
    public const string Candidate = "urn:ietf:params:netconf:capability:candidate:1.0";
    public const string ConfirmedCommit11 = "urn:ietf:params:netconf:capability:confirmed-commit:1.1";
    public const string RollbackOnError = "urn:ietf:params:netconf:capability:rollback-on-error:1.0";
    public const string Validate11 = "urn:ietf:params:netconf:capability:validate:1.1";
    public const string Notification = "urn:ietf:params:netconf:capability:notification:1.0";
    public const string Interleave = "urn:ietf:params:netconf:capability:interleave:1.0";
    public const string XPath = "urn:ietf:params:netconf:capability:xpath:1.0";
    public const string Startup = "urn:ietf:params:netconf:capability:startup:1.0";
    public const string WithDefaults = "urn:ietf:params:netconf:capability:with-defaults:1.0?basic-mode=explicit&also-supported=report-all,report-all-tagged,trim";
}
