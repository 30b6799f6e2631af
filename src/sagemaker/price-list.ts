// Reads SageMaker's on-demand instance prices from AWS's Price List Query API (GetProducts, service
// AmazonSageMaker, product family "ML Instance"), for the regions asked, into a price table. The
// Price List is served from us-east-1 whatever region is priced; AWS_ENDPOINT_URL_PRICING (the SDK's
// own setting) points it elsewhere.
import '../shared/sdk-defaults.js';
import { GetProductsCommand, PricingClient } from '@aws-sdk/client-pricing';
import type { InstancePrices, InstanceUse, PriceTable } from '../shared/price-table.js';
import { clientBase } from './aws-connection.js';
import { aws } from './explain-aws-error.js';

export const PRICE_LIST_SOURCE =
  'AWS Price List Query API (GetProducts, ServiceCode AmazonSageMaker, productFamily ML Instance), on-demand terms';

/**
 * A usage type names the meter: USE1-Train:ml.m5.large, USE1-Host:…, USE1-Processing:…,
 * USE1-Tsform:… (batch transform). Others (Studio, notebooks, asynchronous inference, spot) are not
 * what the pipeline runs.
 */
const USE_OF_METER: Record<string, InstanceUse> = {
  Train: 'training',
  Host: 'hosting',
  Processing: 'processing',
  Tsform: 'transform',
};

interface PriceListProduct {
  product?: { attributes?: Record<string, string> };
  terms?: {
    OnDemand?: Record<
      string,
      { priceDimensions?: Record<string, { unit?: string; pricePerUnit?: { USD?: string } }> }
    >;
  };
}

/** One Price List entry as [instance type, use, USD per hour], or undefined for another meter. */
export function priceOfEntry(entry: string): [string, InstanceUse, number] | undefined {
  let parsed: PriceListProduct;
  try {
    parsed = JSON.parse(entry) as PriceListProduct;
  } catch {
    return undefined;
  }
  const attributes = parsed.product?.attributes ?? {};
  const meter = /^[A-Z0-9]+-([A-Za-z]+):(ml\.[a-z0-9]+\.[a-z0-9]+)$/.exec(attributes.usagetype ?? '');
  const use = meter ? USE_OF_METER[meter[1] as string] : undefined;
  const instanceType = attributes.instanceName ?? meter?.[2];
  if (!use || !instanceType || instanceType !== meter?.[2]) return undefined;
  const hourly = Object.values(parsed.terms?.OnDemand ?? {})
    .flatMap((term) => Object.values(term.priceDimensions ?? {}))
    .filter((dimension) => dimension.unit === 'Hrs' && dimension.pricePerUnit?.USD !== undefined)
    .map((dimension) => Number(dimension.pricePerUnit?.USD))
    .filter((price) => Number.isFinite(price) && price > 0);
  if (hourly.length === 0) return undefined;
  return [instanceType, use, Math.max(...hourly)];
}

export interface PriceListRequest {
  regions: readonly string[];
  profile?: string;
  signal?: AbortSignal;
  /** Called after each page, with how many entries were read so far. */
  onPage?: (region: string, entries: number) => void;
}

/** Every SageMaker instance price of each region, read page by page. */
export async function readPriceList(request: PriceListRequest, now = new Date()): Promise<PriceTable> {
  const client = new PricingClient(
    clientBase({ region: 'us-east-1', ...(request.profile ? { profile: request.profile } : {}) }),
  );
  const regions: PriceTable['regions'] = {};
  try {
    for (const region of request.regions) {
      const instances: Record<string, InstancePrices> = {};
      let nextToken: string | undefined;
      let read = 0;
      do {
        const token = nextToken;
        const page = await aws(`reading the Price List of SageMaker in ${region}`, () =>
          client.send(
            new GetProductsCommand({
              ServiceCode: 'AmazonSageMaker',
              FormatVersion: 'aws_v1',
              Filters: [
                { Type: 'TERM_MATCH', Field: 'regionCode', Value: region },
                { Type: 'TERM_MATCH', Field: 'productFamily', Value: 'ML Instance' },
              ],
              MaxResults: 100,
              ...(token ? { NextToken: token } : {}),
            }),
            request.signal ? { abortSignal: request.signal } : {},
          ),
        );
        for (const entry of page.PriceList ?? []) {
          const found = priceOfEntry(entry);
          if (!found) continue;
          const [instanceType, use, price] = found;
          const prices = instances[instanceType] ?? {};
          instances[instanceType] = prices;
          // Several on-demand prices for one meter: the highest, so that a projection is a worst case.
          prices[use] = Math.max(prices[use] ?? 0, price);
        }
        read += page.PriceList?.length ?? 0;
        request.onPage?.(region, read);
        nextToken = page.NextToken;
      } while (nextToken);
      regions[region] = instances;
    }
  } finally {
    client.destroy();
  }
  return {
    source: PRICE_LIST_SOURCE,
    retrievedAt: now.toISOString(),
    currency: 'USD',
    unit: 'instance-hour',
    regions,
  };
}
