using Azure.Core;
using FlowFunctions.Storage;

namespace FlowFunctions.Host.Functions;

/// <summary>
/// Which store the handler opens, and with which credential. <c>FlowFunctions:Store</c> wins (a SQLite path or a
/// connection string); otherwise the Functions app's own storage, <c>AzureWebJobsStorage</c> (<see cref="WebJobsStorage"/>),
/// so the queues our code writes are the ones the triggers poll; otherwise <c>.flow/flow.db</c> like the CLI.
/// </summary>
internal static class HandlerStore
{
    /// <summary>The store description from configuration: a connection string, or a SQLite path.</summary>
    /// <exception cref="InvalidOperationException">Identity-based settings name some service endpoints but not all three.</exception>
    public static string Describe(IConfiguration configuration) =>
        WebJobsStorage.DescribeStore(key => configuration[key]) ?? Path.Combine(".flow", "flow.db");

    /// <summary>The Entra ID credential of a keyless store (<see cref="WebJobsStorage.Credential"/>); null for <c>DefaultAzureCredential</c>.</summary>
    /// <exception cref="InvalidOperationException">The credential setting has another value.</exception>
    public static TokenCredential? Credential(IConfiguration configuration) => WebJobsStorage.Credential(key => configuration[key]);
}
