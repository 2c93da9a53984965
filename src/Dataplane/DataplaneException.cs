namespace Mgmt.Dataplane;

/// <summary>A dataplane API call that was refused; the message says why. Nothing was changed.</summary>
public sealed class DataplaneException(string message) : Exception(message);
