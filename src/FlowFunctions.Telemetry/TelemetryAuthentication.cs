using Azure.Core;
using FlowFunctions.Storage;

namespace FlowFunctions.Telemetry;

/// <summary>
/// Parses <c>APPLICATIONINSIGHTS_AUTHENTICATION_STRING</c>, the setting with which the Functions host, and we, send
/// telemetry with Entra ID tokens to an Application Insights resource whose local (key) authentication is disabled:
/// <c>Authorization=AAD</c> (system-assigned identity) or <c>Authorization=AAD;ClientId=&lt;client id&gt;</c>
/// (that user-assigned identity).
/// </summary>
internal static class TelemetryAuthentication
{
    /// <summary>The managed identity the setting names.</summary>
    /// <exception cref="FormatException">The setting is not one of the two documented forms.</exception>
    public static TokenCredential Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        string? authorization = null;
        string? clientId = null;
        foreach (var segment in value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = segment.Split('=', 2, StringSplitOptions.TrimEntries);
            switch (parts[0].ToUpperInvariant())
            {
                case "AUTHORIZATION" when parts.Length == 2:
                    authorization = parts[1];
                    break;
                case "CLIENTID" when parts.Length == 2 && parts[1].Length > 0:
                    clientId = parts[1];
                    break;
                default:
                    throw new FormatException($"{FlowTelemetryExtensions.AuthenticationSetting}: unexpected '{segment}'; expected Authorization=AAD and optionally ClientId=<client id>");
            }
        }

        if (!string.Equals(authorization, "AAD", StringComparison.OrdinalIgnoreCase))
        {
            throw new FormatException($"{FlowTelemetryExtensions.AuthenticationSetting} must contain Authorization=AAD (optionally ;ClientId=<client id>)");
        }

        return WebJobsStorage.ManagedIdentityCredential(clientId);
    }
}
