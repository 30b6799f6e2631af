// Prices for tests, and a stand-in for AWS's Price List Query API. The Price List is a cloud-only
// service no local component serves: this server speaks its wire protocol (JSON 1.1, target
// AWSPriceListService.GetProducts, NextToken paging) so that the real SDK client is exercised.
// Its prices are made up for the tests, and say so.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PriceTable } from '../../src/shared/price-table.js';

export const FIXTURE_TABLE: PriceTable = {
  source: 'test fixture (not AWS prices)',
  retrievedAt: '2026-12-01T00:00:00.000Z',
  currency: 'USD',
  unit: 'instance-hour',
  regions: {
    'us-east-1': {
      'ml.m5.large': { training: 0.2, hosting: 0.25, processing: 0.3, transform: 0.4 },
      'ml.m5.xlarge': { training: 0.5 },
    },
  },
};

/** One Price List product, as GetProducts returns each entry: a JSON document in a string. */
export function priceListEntry(
  regionCode: string,
  usagetype: string,
  usd: string,
  component: string,
): string {
  const instanceName = usagetype.split(':')[1];
  return JSON.stringify({
    product: {
      productFamily: 'ML Instance',
      attributes: { regionCode, usagetype, instanceName, component, servicecode: 'AmazonSageMaker' },
      sku: `SKU${usagetype}`,
    },
    serviceCode: 'AmazonSageMaker',
    terms: {
      OnDemand: {
        [`SKU${usagetype}.JRTCKXETXF`]: {
          priceDimensions: {
            [`SKU${usagetype}.JRTCKXETXF.6YS6EN2CT7`]: {
              unit: 'Hrs',
              description: `$${usd} per ${instanceName} hour`,
              pricePerUnit: { USD: usd },
            },
          },
        },
      },
    },
    publicationDate: '2026-12-01T00:00:00Z',
  });
}

export interface PriceListServer {
  url: string;
  /** Each GetProducts request's body, as sent. */
  requests: Record<string, unknown>[];
  close(): Promise<void>;
}

/** Serves `entries` (by region) `pageSize` at a time. */
export async function startPriceListServer(
  entries: Record<string, string[]>,
  pageSize = 2,
): Promise<PriceListServer> {
  const requests: Record<string, unknown>[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as {
        Filters?: { Field: string; Value: string }[];
        NextToken?: string;
      };
      requests.push(body);
      const answer = (status: number, json: unknown) => {
        response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(JSON.stringify(json));
      };
      if (request.headers['x-amz-target'] !== 'AWSPriceListService.GetProducts')
        return answer(400, { __type: 'InvalidParameterException', message: 'unknown target' });
      if (!/^AWS4-HMAC-SHA256 Credential=/.test(String(request.headers.authorization)))
        return answer(403, { __type: 'AccessDeniedException', message: 'unsigned request' });
      const region = body.Filters?.find((filter) => filter.Field === 'regionCode')?.Value ?? '';
      const all = entries[region] ?? [];
      const start = body.NextToken ? Number(body.NextToken) : 0;
      const page = all.slice(start, start + pageSize);
      const next = start + pageSize < all.length ? String(start + pageSize) : undefined;
      answer(200, { FormatVersion: 'aws_v1', PriceList: page, ...(next ? { NextToken: next } : {}) });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
