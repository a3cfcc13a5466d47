use std::net::IpAddr;

/// Where a request comes from, as the per-source limits count it: the connecting address that API
/// Gateway saw (never a header the client writes), with an IPv6 address reduced to its /64, the
/// block one subscriber usually holds, so that rotating through one's own addresses buys nothing.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientSource(String);

impl ClientSource {
    /// The source of a request whose connecting address is missing or unreadable (a hand-made
    /// event): all such requests share one allowance rather than escaping the limits.
    pub fn unknown() -> Self {
        Self("unknown".to_owned())
    }

    pub fn from_address(address: IpAddr) -> Self {
        match address {
            IpAddr::V4(v4) => Self(v4.to_string()),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Self(v4.to_string()),
                None => {
                    let [a, b, c, d, ..] = v6.segments();
                    Self(format!("{a:x}:{b:x}:{c:x}:{d:x}::/64"))
                }
            },
        }
    }

    /// Reads the address as API Gateway writes it; anything else is [`Self::unknown`].
    pub fn parse(raw: &str) -> Self {
        raw.trim().parse().map(Self::from_address).unwrap_or_else(|_| Self::unknown())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv4_address_is_its_own_source() {
        assert_eq!(ClientSource::parse("203.0.113.7").as_str(), "203.0.113.7");
    }

    #[test]
    fn ipv6_addresses_of_one_64_block_are_one_source() {
        let first = ClientSource::parse("2001:db8:1:2:aaaa::1");
        let second = ClientSource::parse("2001:db8:1:2:ffff:ffff:ffff:ffff");
        let neighbour = ClientSource::parse("2001:db8:1:3::1");

        assert_eq!(first, second);
        assert_eq!(first.as_str(), "2001:db8:1:2::/64");
        assert_ne!(first, neighbour);
    }

    #[test]
    fn an_ipv4_mapped_ipv6_address_counts_as_the_ipv4_address() {
        assert_eq!(ClientSource::parse("::ffff:203.0.113.7"), ClientSource::parse("203.0.113.7"));
    }

    #[test]
    fn a_missing_or_unreadable_address_shares_the_unknown_allowance() {
        assert_eq!(ClientSource::parse(""), ClientSource::unknown());
        assert_eq!(ClientSource::parse("203.0.113.7, 10.0.0.1"), ClientSource::unknown());
    }
}
