using System.Net;
using FlowFunctions.Engine.Activities.Handlers;

namespace FlowFunctions.Engine.Tests.Activities.Handlers;

public sealed class HttpAddressGuardTests
{
    public static TheoryData<string, string?> Addresses => new()
    {
        // IPv4
        { "127.0.0.1", "loopback address" },
        { "127.255.255.254", "loopback address" },
        { "0.0.0.0", "unspecified address" },
        { "0.1.2.3", "unspecified address" },
        { "10.0.0.1", "private address" },
        { "10.255.255.255", "private address" },
        { "172.16.0.1", "private address" },
        { "172.31.255.255", "private address" },
        { "192.168.1.1", "private address" },
        { "169.254.169.254", "link-local address" },
        { "169.254.0.1", "link-local address" },
        { "100.64.0.1", "carrier-grade NAT address" },
        { "100.127.255.255", "carrier-grade NAT address" },
        { "224.0.0.1", "multicast address" },
        { "239.255.255.250", "multicast address" },
        { "255.255.255.255", "broadcast address" },
        { "240.0.0.1", "reserved address" },
        { "192.0.0.8", "IETF protocol assignment address" },
        { "192.0.2.10", "documentation address" },
        { "198.18.0.1", "benchmarking address" },

        // IPv6
        { "::1", "loopback address" },
        { "::", "unspecified address" },
        { "fe80::1", "link-local address" },
        { "febf:ffff::1", "link-local address" },
        { "fc00::1", "unique local address" },
        { "fd12:3456:789a::1", "unique local address" },
        { "fec0::1", "site-local address" },
        { "ff02::1", "multicast address" },
        { "2001:db8::1", "documentation address" },
        { "100::1", "discard-only address" },
        { "64:ff9b:1::1", "local-use NAT64 address" },

        // IPv4 embedded in IPv6
        { "::ffff:127.0.0.1", "loopback address in IPv4-mapped form" },
        { "::ffff:169.254.169.254", "link-local address in IPv4-mapped form" },
        { "::ffff:10.1.2.3", "private address in IPv4-mapped form" },
        { "::127.0.0.1", "loopback address in IPv4-compatible form" },
        { "::8.8.8.8", "IPv4-compatible address" },
        { "64:ff9b::127.0.0.1", "loopback address in NAT64 form" },
        { "64:ff9b::a9fe:a9fe", "link-local address in NAT64 form" },
        { "2002:7f00:0001::1", "loopback address in 6to4 form" },
        { "2002:c0a8:0101::1", "private address in 6to4 form" },
        { "2001:0:7f00:1::1", "loopback address in Teredo server form" },
        { "2001:0:808:808:0:0:f5ff:fffe", "private address in Teredo client form" },

        // Public addresses pass.
        { "8.8.8.8", null },
        { "1.1.1.1", null },
        { "93.184.216.34", null },
        { "172.32.0.1", null },
        { "100.128.0.1", null },
        { "192.169.0.1", null },
        { "223.255.255.255", null },
        { "2606:4700:4700::1111", null },
        { "2a00:1450:4001:80b::200e", null },
        { "::ffff:8.8.8.8", null },
        { "64:ff9b::808:808", null },
        { "2002:0808:0808::1", null },
    };

    [Theory]
    [MemberData(nameof(Addresses))]
    public void BlockReason_NamesEveryBlockedRange_AndPassesPublicAddresses(string address, string? reason) =>
        HttpAddressGuard.BlockReason(IPAddress.Parse(address)).ShouldBe(reason);

    [Fact]
    public async Task Resolve_RefusesABlockedLiteral_WithTheSettingToChange()
    {
        var guard = new HttpAddressGuard([]);

        var error = await Should.ThrowAsync<DestinationRefusedException>(() => guard.ResolveAsync("127.0.0.1", CancellationToken.None));

        error.Message.ShouldBe("refused to connect to 127.0.0.1 (loopback address); add it to FlowFunctions:Http:AllowedHosts to allow it");
    }

    [Fact]
    public async Task Resolve_RefusesAHostNameWhenAnyAddressIsBlocked()
    {
        var guard = new HttpAddressGuard([]);

        var error = await Should.ThrowAsync<DestinationRefusedException>(() => guard.ResolveAsync("localhost", CancellationToken.None));

        error.Message.ShouldStartWith("refused to connect to localhost (resolves to ");
        error.Message.ShouldContain("loopback address");
    }

    [Theory]
    [InlineData("127.0.0.1", "127.0.0.1")]
    [InlineData("127.0.0.0/8", "127.0.0.1")]
    [InlineData("10.0.0.0/8", "10.1.2.3")]
    [InlineData("::1", "[::1]")]
    [InlineData("127.0.0.1", "::ffff:127.0.0.1")]
    [InlineData("LOCALHOST", "localhost")]
    public async Task Resolve_LetsAllowedHostsThrough(string allowed, string host)
    {
        var guard = new HttpAddressGuard([allowed]);

        (await guard.ResolveAsync(host, CancellationToken.None)).ShouldNotBeEmpty();
    }

    [Fact]
    public async Task Resolve_AllowingOneAddressDoesNotAllowItsNeighbours()
    {
        var guard = new HttpAddressGuard(["127.0.0.1"]);

        await Should.ThrowAsync<DestinationRefusedException>(() => guard.ResolveAsync("127.0.0.2", CancellationToken.None));
    }

    [Theory]
    [InlineData("example.com", true)]
    [InlineData("10.0.0.0/8", true)]
    [InlineData("fd00::/8", true)]
    [InlineData("[::1]", true)]
    [InlineData("10.0.0.0/99", false)]
    [InlineData("not a host", false)]
    [InlineData("", false)]
    public void IsValidAllowedHost_AcceptsNamesAddressesAndRanges(string entry, bool valid) =>
        HttpAddressGuard.IsValidAllowedHost(entry).ShouldBe(valid);
}
