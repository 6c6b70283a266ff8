"""Microsoft Dynamics 365 Business Central (API v2.0, Entra ID client credentials) as a billpay platform."""
