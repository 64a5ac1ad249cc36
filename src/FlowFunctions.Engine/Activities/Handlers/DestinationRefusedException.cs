namespace FlowFunctions.Engine.Activities.Handlers;

/// <summary>The SSRF guard refused a destination; the <c>http</c> handler turns it into a permanent failure.</summary>
internal sealed class DestinationRefusedException(string message) : Exception(message);
