using System.Net;
using System.Net.Http;
using System.Net.Sockets;

namespace FlowFunctions.Engine.Activities.Handlers;

/// <summary>
/// The server-side request forgery guard of the <c>http</c> node type. It is the <see cref="SocketsHttpHandler.ConnectCallback"/>:
/// it resolves the host once, refuses if any candidate address is blocked, and connects the socket to an address it
/// checked, so DNS rebinding cannot swap the address between check and connect. Every redirect hop opens its
/// connection through here too.
/// </summary>
internal sealed class HttpAddressGuard
{
    /// <summary>Where an operator allows a blocked host; part of every refusal message.</summary>
    public const string AllowedHostsSetting = "FlowFunctions:Http:AllowedHosts";

    private static readonly (IPNetwork Network, string Reason)[] BlockedV4 =
    [
        (IPNetwork.Parse("0.0.0.0/8"), "unspecified address"),
        (IPNetwork.Parse("127.0.0.0/8"), "loopback address"),
        (IPNetwork.Parse("10.0.0.0/8"), "private address"),
        (IPNetwork.Parse("172.16.0.0/12"), "private address"),
        (IPNetwork.Parse("192.168.0.0/16"), "private address"),
        (IPNetwork.Parse("100.64.0.0/10"), "carrier-grade NAT address"),
        (IPNetwork.Parse("169.254.0.0/16"), "link-local address"),
        (IPNetwork.Parse("192.0.0.0/24"), "IETF protocol assignment address"),
        (IPNetwork.Parse("192.0.2.0/24"), "documentation address"),
        (IPNetwork.Parse("198.51.100.0/24"), "documentation address"),
        (IPNetwork.Parse("203.0.113.0/24"), "documentation address"),
        (IPNetwork.Parse("198.18.0.0/15"), "benchmarking address"),
        (IPNetwork.Parse("224.0.0.0/4"), "multicast address"),
        (IPNetwork.Parse("255.255.255.255/32"), "broadcast address"),
        (IPNetwork.Parse("240.0.0.0/4"), "reserved address"),

        // Public, but Azure's virtual platform address (DNS, health probes, the WireServer and its guest agent plugin):
        // an http node on an Azure host must not talk to the host's own control plane.
        (IPNetwork.Parse("168.63.129.16/32"), "Azure platform address"),
    ];

    private static readonly (IPNetwork Network, string Reason)[] BlockedV6 =
    [
        (IPNetwork.Parse("::/128"), "unspecified address"),
        (IPNetwork.Parse("::1/128"), "loopback address"),
        (IPNetwork.Parse("100::/64"), "discard-only address"),
        (IPNetwork.Parse("64:ff9b:1::/48"), "local-use NAT64 address"),
        (IPNetwork.Parse("2001:db8::/32"), "documentation address"),
        (IPNetwork.Parse("fc00::/7"), "unique local address"),
        (IPNetwork.Parse("fe80::/10"), "link-local address"),
        (IPNetwork.Parse("fec0::/10"), "site-local address"),
        (IPNetwork.Parse("ff00::/8"), "multicast address"),
    ];

    private static readonly IPNetwork Compatible = IPNetwork.Parse("::/96");
    private static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");
    private static readonly IPNetwork SixToFour = IPNetwork.Parse("2002::/16");
    private static readonly IPNetwork Teredo = IPNetwork.Parse("2001::/32");

    private readonly HashSet<string> allowedHostNames = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<IPNetwork> allowedNetworks = [];
    private readonly Func<string, CancellationToken, Task<IPAddress[]>> resolve;

    /// <summary>
    /// Creates a guard that lets the given host names, addresses and CIDR ranges through. <paramref name="resolve"/>
    /// looks host names up (the system's DNS unless given; tests give names that resolve to private ranges).
    /// </summary>
    public HttpAddressGuard(IEnumerable<string> allowedHosts, Func<string, CancellationToken, Task<IPAddress[]>>? resolve = null)
    {
        ArgumentNullException.ThrowIfNull(allowedHosts);
        this.resolve = resolve ?? Dns.GetHostAddressesAsync;
        foreach (var entry in allowedHosts)
        {
            if (!TryParseAllowedHost(entry, out var network, out var hostName))
            {
                throw new ArgumentException($"'{entry}' in {AllowedHostsSetting} is not a host name, IP address or CIDR range", nameof(allowedHosts));
            }

            if (network is { } value)
            {
                allowedNetworks.Add(value);
            }
            else
            {
                allowedHostNames.Add(hostName!);
            }
        }
    }

    /// <summary>Whether an <c>AllowedHosts</c> entry is usable: a host name, an IP address or a CIDR range.</summary>
    public static bool IsValidAllowedHost(string entry) => TryParseAllowedHost(entry, out _, out _);

    /// <summary>Why <paramref name="address"/> must not be reached, or null when it is a public address.</summary>
    public static string? BlockReason(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return Match(BlockedV4, address);
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return "non-IP address";
        }

        // Forms that embed an IPv4 address are judged by that address first.
        if (address.IsIPv4MappedToIPv6)
        {
            return Embedded(address.MapToIPv4(), "IPv4-mapped");
        }

        if (Match(BlockedV6, address) is { } reason)
        {
            return reason;
        }

        var bytes = address.GetAddressBytes();
        if (Compatible.Contains(address))
        {
            // Deprecated (RFC 4291) and never routed: refuse even when the embedded address is public.
            return Embedded(new IPAddress(bytes[12..16]), "IPv4-compatible") ?? "IPv4-compatible address";
        }

        if (Nat64.Contains(address))
        {
            return Embedded(new IPAddress(bytes[12..16]), "NAT64");
        }

        if (SixToFour.Contains(address))
        {
            return Embedded(new IPAddress(bytes[2..6]), "6to4");
        }

        if (Teredo.Contains(address))
        {
            // Teredo carries the server at bits 32-63 and the client, inverted, in the last 32 bits.
            var client = bytes[12..16].Select(b => (byte)~b).ToArray();
            return Embedded(new IPAddress(bytes[4..8]), "Teredo server") ?? Embedded(new IPAddress(client), "Teredo client");
        }

        return null;
    }

    /// <summary>The <see cref="SocketsHttpHandler.ConnectCallback"/>: resolve once, check every address, connect to a checked one.</summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var endPoint = context.DnsEndPoint;
        var addresses = await ResolveAsync(endPoint.Host, cancellationToken);
        Exception? lastError = null;
        foreach (var checkedAddress in addresses)
        {
            // An IPv6 socket is IPv6-only here, so an (allowed) IPv4-mapped address is reached over IPv4.
            var address = checkedAddress.IsIPv4MappedToIPv6 ? checkedAddress.MapToIPv4() : checkedAddress;
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, endPoint.Port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException exception)
            {
                socket.Dispose();
                lastError = exception;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw lastError ?? new SocketException((int)SocketError.HostNotFound);
    }

    /// <summary>Resolves <paramref name="host"/> once and returns its addresses if none of them is blocked.</summary>
    /// <exception cref="DestinationRefusedException">An address is blocked and not allowed.</exception>
    public async Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        var bare = host.StartsWith('[') && host.EndsWith(']') ? host[1..^1] : host;
        if (IPAddress.TryParse(bare, out var literal))
        {
            if (!IsAllowedAddress(literal) && BlockReason(literal) is { } reason)
            {
                throw new DestinationRefusedException(
                    $"refused to connect to {literal} ({reason}); add it to {AllowedHostsSetting} to allow it");
            }

            return [literal];
        }

        var addresses = await resolve(bare, cancellationToken);
        if (allowedHostNames.Contains(bare.TrimEnd('.')))
        {
            return addresses;
        }

        foreach (var address in addresses)
        {
            if (!IsAllowedAddress(address) && BlockReason(address) is { } reason)
            {
                throw new DestinationRefusedException(
                    $"refused to connect to {bare} (resolves to {address}, {reason}); add it to {AllowedHostsSetting} to allow it");
            }
        }

        return addresses;
    }

    private static bool TryParseAllowedHost(string entry, out IPNetwork? network, out string? hostName)
    {
        network = null;
        hostName = null;
        var text = entry?.Trim() ?? string.Empty;
        if (text.Length == 0)
        {
            return false;
        }

        if (text.Contains('/', StringComparison.Ordinal))
        {
            if (IPNetwork.TryParse(text, out var parsed))
            {
                network = parsed;
                return true;
            }

            return false;
        }

        var bare = text.StartsWith('[') && text.EndsWith(']') ? text[1..^1] : text;
        if (IPAddress.TryParse(bare, out var address))
        {
            network = new IPNetwork(address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128);
            return true;
        }

        if (Uri.CheckHostName(text) != UriHostNameType.Dns)
        {
            return false;
        }

        hostName = text.TrimEnd('.');
        return true;
    }

    private static string? Match((IPNetwork Network, string Reason)[] table, IPAddress address)
    {
        foreach (var (network, reason) in table)
        {
            if (network.Contains(address))
            {
                return reason;
            }
        }

        return null;
    }

    private static string? Embedded(IPAddress v4, string form) =>
        Match(BlockedV4, v4) is { } reason ? $"{reason} in {form} form" : null;

    private bool IsAllowedAddress(IPAddress address)
    {
        foreach (var network in allowedNetworks)
        {
            if (network.Contains(address) || (address.IsIPv4MappedToIPv6 && network.Contains(address.MapToIPv4())))
            {
                return true;
            }
        }

        return false;
    }
}
