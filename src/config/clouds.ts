import { z } from 'zod';

export const cloudSchema = z.enum(['public', 'usgov', 'usgov-dod', 'china']);
export type Cloud = z.infer<typeof cloudSchema>;

export interface CloudEndpoints {
  /** Sign-in host, https://login.microsoftonline.com */
  authorityHost: string;
  /** Graph root without version, https://graph.microsoft.com */
  graphEndpoint: string;
  /** Audience of the GitHub OIDC token exchanged for a federated credential */
  federationAudience: string;
  /**
   * Host of the admin consent endpoint ({host}/{tenant}/v2.0/adminconsent), as Microsoft documents it
   * per cloud: the sign-in host, except China, whose documentation (docs.azure.cn) uses
   * login.partner.microsoftonline.cn.
   */
  adminConsentHost: string;
}

/** Hosts from Microsoft's national cloud deployment documentation */
export const clouds: Record<Cloud, CloudEndpoints> = {
  public: {
    authorityHost: 'https://login.microsoftonline.com',
    graphEndpoint: 'https://graph.microsoft.com',
    federationAudience: 'api://AzureADTokenExchange',
    adminConsentHost: 'https://login.microsoftonline.com',
  },
  usgov: {
    authorityHost: 'https://login.microsoftonline.us',
    graphEndpoint: 'https://graph.microsoft.us',
    federationAudience: 'api://AzureADTokenExchangeUSGov',
    adminConsentHost: 'https://login.microsoftonline.us',
  },
  'usgov-dod': {
    authorityHost: 'https://login.microsoftonline.us',
    graphEndpoint: 'https://dod-graph.microsoft.us',
    federationAudience: 'api://AzureADTokenExchangeUSGov',
    adminConsentHost: 'https://login.microsoftonline.us',
  },
  china: {
    authorityHost: 'https://login.chinacloudapi.cn',
    graphEndpoint: 'https://microsoftgraph.chinacloudapi.cn',
    federationAudience: 'api://AzureADTokenExchangeChina',
    adminConsentHost: 'https://login.partner.microsoftonline.cn',
  },
};
